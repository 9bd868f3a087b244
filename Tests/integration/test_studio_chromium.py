"""The studio page in headless Chromium: sign in with a key, submit a prompt, see progress, play the result;
ask to publish it, approve it on the review page as a moderator, play the public share page.

Needs Debian's `chromium` and `chromium-driver` and Selenium from PyPI.
Run: python3 Tests/integration/test_studio_chromium.py   (after `swift build`)
"""
import os
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

sys.path.insert(0, os.path.dirname(__file__))
from kino_harness import KinoServer  # noqa: E402


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    for arg in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--autoplay-policy=no-user-gesture-required",
                "--mute-audio", "--window-size=1280,1000"]:
        options.add_argument(arg)
    return webdriver.Chrome(service=Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")), options=options)


def main():
    with KinoServer(step_ms=150) as server:
        key = server.create_key("studio")
        driver = browser()
        try:
            wait = WebDriverWait(driver, 60)
            driver.get(server.base_url + "/")
            # Sign in once; the key goes in a plain form post and never into page JavaScript.
            wait.until(EC.visibility_of_element_located((By.ID, "key"))).send_keys(key)
            driver.find_element(By.ID, "signin-submit").click()
            wait.until(EC.visibility_of_element_located((By.ID, "prompt")))
            cookie = driver.get_cookie("kino_session")
            assert cookie and cookie["httpOnly"] and cookie.get("sameSite") == "Strict", f"session cookie: {cookie}"
            assert key not in driver.page_source, "the key must not be in the page"
            assert driver.execute_script("return document.cookie").find("kino_session") < 0, "cookie visible to JS"

            driver.find_element(By.ID, "prompt").send_keys("a red ball bounces across green grass")
            Select(driver.find_element(By.ID, "size")).select_by_value("1280x720")
            Select(driver.find_element(By.ID, "seconds")).select_by_value("4")
            driver.find_element(By.ID, "submit").click()

            job = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ".job")))
            # Live progress: the bar moves between 0 and 100 while the job runs.
            seen = set()
            deadline = time.time() + 60
            while time.time() < deadline:
                status = job.get_attribute("data-status")
                value = int(float(job.find_element(By.TAG_NAME, "progress").get_attribute("value") or 0))
                seen.add((status, value))
                if status == "completed":
                    break
                time.sleep(0.05)
            assert any(s == "in_progress" and 0 < v < 100 for s, v in seen), f"no live progress seen: {sorted(seen)}"
            assert job.get_attribute("data-status") == "completed"

            video = wait.until(lambda d: job.find_element(By.TAG_NAME, "video"))
            played = driver.execute_script("""
                const v = arguments[0];
                return v.play().then(() => new Promise(r => setTimeout(() => r([v.currentTime, v.videoWidth, v.error && v.error.code]), 1500)))
                              .catch(e => [-1, 0, String(e)]);
            """, video)
            assert played[0] > 0 and played[1] == 1280, f"video did not play: {played}"
            download = job.find_element(By.CSS_SELECTOR, "a.download").get_attribute("href")
            assert download.endswith("/content?download=1"), download

            # A state-changing call without the CSRF token is refused even with the cookie.
            status = driver.execute_script("""
                return fetch('/v1/videos', {method: 'POST', headers: {'Content-Type': 'application/json'},
                  body: JSON.stringify({prompt: 'x'})}).then(r => r.status);""")
            assert status == 403, f"missing CSRF token gave {status}"

            # Review before sharing: ask to publish, a moderator approves on the review page, the public page plays.
            video_id = job.get_attribute("data-id")
            job.find_element(By.CSS_SELECTOR, "button.publish").click()
            wait.until(lambda d: "pending" in job.find_element(By.CSS_SELECTOR, ".share-state").text)
            moderator = server.create_key("reviewer", scopes="moderator,read")
            driver.delete_all_cookies()
            driver.get(server.base_url + "/")
            wait.until(EC.visibility_of_element_located((By.ID, "key"))).send_keys(moderator)
            driver.find_element(By.ID, "signin-submit").click()
            wait.until(EC.visibility_of_element_located((By.ID, "prompt")))
            driver.get(server.base_url + "/studio/review")
            item = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, f'#queue li[data-id="{video_id}"]')))
            item.find_element(By.CSS_SELECTOR, "input.reason").send_keys("looks fine")
            item.find_element(By.CSS_SELECTOR, "button.approve").click()
            wait.until(EC.visibility_of_element_located((By.ID, "empty")))
            driver.delete_all_cookies()
            driver.get(server.base_url + f"/share/{video_id}")
            shared = wait.until(EC.presence_of_element_located((By.TAG_NAME, "video")))
            shared_play = driver.execute_script("""
                const v = arguments[0];
                return v.play().then(() => new Promise(r => setTimeout(() => r([v.currentTime, v.videoWidth]), 1500)))
                              .catch(e => [-1, String(e)]);
            """, shared)
            assert shared_play[0] > 0 and shared_play[1] == 1280, f"shared video did not play without a key: {shared_play}"
            driver.get(server.base_url + "/gallery")
            assert f"/share/{video_id}" in driver.page_source, "the gallery lists the approved video"
            print(f"test_studio_chromium: signed in, saw progress {sorted(v for s, v in seen if s == 'in_progress')}, played to {played[0]:.2f}s; "
                  f"published, approved on the review page, shared page played to {shared_play[0]:.2f}s")
        finally:
            driver.quit()


if __name__ == "__main__":
    main()
