"""Hard strings for the tokenizer goldens and the training text for the tiny SentencePiece model.

Each case is (name, raw prompt). The Swift tests run Wan's prompt cleaning and the tokenizer on the raw
prompt and compare against the ids diffusers/transformers produce.
"""

import random

WAN_NEGATIVE_PROMPT = (
    "色调艳丽，过曝，静态，细节模糊不清，字幕，风格，作品，画作，画面，静止，整体发灰，最差质量，低质量，"
    "JPEG压缩残留，丑陋的，残缺的，多余的手指，画得不好的手部，画得不好的脸部，畸形的，毁容的，形态畸形的肢体，"
    "手指融合，静止不动的画面，杂乱的背景，三条腿，背景人很多，倒着走"
)


def _long_prompt() -> str:
    rng = random.Random(7)
    parts = []
    for i in range(120):
        parts.append(rng.choice([
            "A slow cinematic dolly shot",
            "golden hour light over the ocean,",
            "neon reflections on wet asphalt",
            "un café crème sur la terrasse",
            "東京の夜景",
            "🐱 cat",
            "&amp; more",
            f"frame {i}",
        ]))
    return " ".join(parts)


HARD_STRINGS = [
    ("plain", "A red ball bounces across green grass"),
    ("edges_whitespace", "  Leading and trailing spaces\t\n"),
    ("odd_whitespace", "Tabs\tand\nnewlines\r\nand\u00a0NBSP\u3000ideographic\u2009thin\u202fnarrow\x0bvt\x0cff"),
    ("python_only_space", "info\x1csep\x1dgroup\x1erecord\x1funit\u0085nel\u2028ls\u2029ps\u1680ogham"),
    ("accents", "Café crème brûlée — naïve façade, Straße, Ægir, Œuvre, Ångström, São Paulo, Łódź"),
    ("decomposed", "Cafe\u0301 nai\u0308ve A\u030angstro\u0308m n\u0303"),
    ("fullwidth", "ＦＵＬＬ－ＷＩＤＴＨ　ｔｅｘｔ　１２３！？ ｶﾞｷﾞｸﾞ ｱｲｳ"),
    ("fullwidth_combining", "ｅ\u0301 ｅ\u0300 Ａ\u030a x\u0301\u0302\u0303"),
    ("compat", "ﬁne ﬂow ½ ² ™ ① ℃ ㎏ ¨ ´ … Ⅻ ℌ ﹏ ＿"),
    ("emoji", "A cat 🐱 and a dog 🐶, 👍🏽 thumbs, family 👨\u200d👩\u200d👧\u200d👦, flag 🇯🇵, heart ❤️, unicorn 🦄"),
    ("cjk", "東京の夜景、ネオンが輝く。猫が走る。한국어 텍스트 中文提示词"),
    ("scripts", "Привет мир · Γειά σου κόσμε · مرحبا بالعالم · שלום · नमस्ते दुनिया · สวัสดี"),
    ("html_entities", "Tom &amp; Jerry &lt;3 &quot;quoted&quot; &#39;single&#39; &#x263A; &hearts; &nbsp;x "
                      "&copy 2024 &notit; &NotEqualTilde; &#128512; &#0; &#x110000; &#150; &#xD800; &ampx &bogus;"),
    ("html_double", "&amp;amp;lt;div&amp;amp;gt; &amp;#233;t&amp;eacute; &amp;nbsp;gap &amp;amp;amp;"),
    ("invisible", "zero\u200bwidth\u200cjoin\u200dnon\ufeffBOM soft\u00adhyphen \u0007bell \u180emvs \ufffd"),
    ("only_whitespace", " \t \n \u00a0 "),
    ("empty", ""),
    ("metaspace", "pre▁existing ▁meta▁space ▁ ▁▁"),
    ("special_literals", "text with </s> and <pad> and <unk> inside</s>"),
    ("rare_glyphs", "Rare glyphs: 𓀀 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ꙮ ᚠᛇᚻ 𝟘𝟙"),
    ("punct_numbers", "Version 2.1.0 — 16:9 aspect, 1280x720 @ 24fps; price: $1,299.99 (≈€1.200) "
                      "#hashtag @user https://example.com/a?b=c&d=e"),
    ("wan_negative", WAN_NEGATIVE_PROMPT),
    ("long", _long_prompt()),
]


def training_lines() -> list[str]:
    """Varied text so the unigram model has multi-script pieces and still leaves some characters unknown."""
    rng = random.Random(0)
    seed_lines = [
        "A red ball bounces across green grass.",
        "Café crème brûlée, naïve façade über Straße. ¿Qué pasa? Ça va! São Paulo",
        "東京の夜景、ネオンが輝く。猫が走る。中文提示词，静态，画面。",
        "Привет мир, как дела? Γειά σου κόσμε.",
        "A cat 🐱 and a dog 🐶 baking a cake 🎂 together.",
        "Version 2.1.0 at 1280x720, 24fps; price $1,299.99 & more (see https://example.com).",
        WAN_NEGATIVE_PROMPT,
    ]
    lines = seed_lines * 20
    words = ("the a of cinematic shot slow motion camera pans over golden hour sunset ocean waves mountain "
             "forest city street night rain neon lights people walking dog running cat sleeping bird flying "
             "bright dark colorful close-up wide angle drone aerial view").split()
    syllables = ["ka", "to", "ri", "mon", "sel", "vra", "qu", "ph", "th", "ing", "er", "ed", "ly", "tion",
                 "st", "ch", "ou", "ea", "ai", "ee"]
    words += ("red ball bounces across green grass leading trailing spaces tabs newlines version aspect price "
              "frame reflections wet asphalt more with and inside text rare glyphs information record unit "
              "zero width join soft hyphen bell thumbs family flag heart unicorn Tom Jerry quoted single "
              "The A In On Leading Tabs Version Rare Tom").split() * 3
    words += ["".join(rng.choice(syllables) for _ in range(rng.randint(1, 4))) for _ in range(200)]
    for _ in range(3000):
        n = rng.randint(4, 20)
        lines.append(" ".join(rng.choice(words) for _ in range(n)) + rng.choice([".", "!", "?", ",", ";"]))
    return lines
