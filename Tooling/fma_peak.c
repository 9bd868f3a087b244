// The machine's fp32 FMA peak with AVX-512 (12 independent accumulators per thread, 1 and 2 threads): the ceiling
// for any fp32 engine on this CPU. Offline tooling (docs/engine.md "Bounds"), not part of the build:
//   gcc -O2 -mavx512f -mfma Tooling/fma_peak.c -o /tmp/fma_peak -lpthread && /tmp/fma_peak
#include <immintrin.h>
#include <stdio.h>
#include <time.h>
#include <pthread.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
#define ITER 200000000L
static void* run(void* arg){
  __m512 b=_mm512_set1_ps(1.0000001f), c=_mm512_set1_ps(1e-7f);
  __m512 a0=_mm512_set1_ps(0);
  __m512 a1=_mm512_set1_ps(1);
  __m512 a2=_mm512_set1_ps(2);
  __m512 a3=_mm512_set1_ps(3);
  __m512 a4=_mm512_set1_ps(4);
  __m512 a5=_mm512_set1_ps(5);
  __m512 a6=_mm512_set1_ps(6);
  __m512 a7=_mm512_set1_ps(7);
  __m512 a8=_mm512_set1_ps(8);
  __m512 a9=_mm512_set1_ps(9);
  __m512 a10=_mm512_set1_ps(10);
  __m512 a11=_mm512_set1_ps(11);
  for(long it=0; it<ITER/12; it++){
    a0=_mm512_fmadd_ps(a0,b,c);
    a1=_mm512_fmadd_ps(a1,b,c);
    a2=_mm512_fmadd_ps(a2,b,c);
    a3=_mm512_fmadd_ps(a3,b,c);
    a4=_mm512_fmadd_ps(a4,b,c);
    a5=_mm512_fmadd_ps(a5,b,c);
    a6=_mm512_fmadd_ps(a6,b,c);
    a7=_mm512_fmadd_ps(a7,b,c);
    a8=_mm512_fmadd_ps(a8,b,c);
    a9=_mm512_fmadd_ps(a9,b,c);
    a10=_mm512_fmadd_ps(a10,b,c);
    a11=_mm512_fmadd_ps(a11,b,c);
  }
  float s=0; s+=_mm512_reduce_add_ps(a0); s+=_mm512_reduce_add_ps(a1); s+=_mm512_reduce_add_ps(a2); s+=_mm512_reduce_add_ps(a3); s+=_mm512_reduce_add_ps(a4); s+=_mm512_reduce_add_ps(a5); s+=_mm512_reduce_add_ps(a6); s+=_mm512_reduce_add_ps(a7); s+=_mm512_reduce_add_ps(a8); s+=_mm512_reduce_add_ps(a9); s+=_mm512_reduce_add_ps(a10); s+=_mm512_reduce_add_ps(a11);
  *(float*)arg=s; return 0;
}
int main(){
  for(int threads=1; threads<=2; threads++){
    pthread_t t[2]; float r[2]; double t0=now();
    for(int i=0;i<threads;i++) pthread_create(&t[i],0,run,&r[i]);
    for(int i=0;i<threads;i++) pthread_join(t[i],0);
    double dt=now()-t0; double flops=(double)threads*(ITER/12)*12*16*2;
    printf("%d thread(s): %.1f GFLOP/s fp32 FMA (AVX-512), %.2f GHz-equivalent at 2 FMA/cycle (%.3f)\n",threads,flops/dt/1e9, flops/dt/1e9/threads/64, r[0]);
  }
}
