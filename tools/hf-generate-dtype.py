#!/usr/bin/env python3
"""Hugging Face `generate` at a chosen weight dtype, in the shapes of ../shared/bench/torch_gpt2.py
--what hfgen (32-token prompts, 96 new tokens, sampling at generate's defaults: temperature 1, top-k 50),
so `rlhf bench sample --weights bf16` has an anchor of the same precision beside it. One JSON line.

    /path/to/venv/bin/python tools/hf-generate-dtype.py --config gpt2 --batch 1 --dtype bfloat16

Needs torch and transformers; the project itself never does.
"""
import argparse, json, resource, statistics, time
import torch
from transformers import GPT2Config, GPT2LMHeadModel

CONFIGS = {"tiny": (4, 4, 128, 512, 128), "small": (6, 6, 384, 4096, 256), "gpt2": (12, 12, 768, 50257, 256)}

def main():
    p = argparse.ArgumentParser()
    p.add_argument("--config", default="gpt2", choices=CONFIGS)
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--dtype", default="bfloat16", choices=["float32", "bfloat16", "float16"])
    p.add_argument("--iters", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads); torch.manual_seed(0)
    L, H, C, V, T = CONFIGS[a.config]
    model = GPT2LMHeadModel(GPT2Config(n_layer=L, n_head=H, n_embd=C, vocab_size=V, n_positions=max(T, 128)))
    model = model.to(getattr(torch, a.dtype)).eval()
    prompt = torch.randint(0, V, (a.batch, 32))
    def generate():
        with torch.no_grad():
            model.generate(prompt, attention_mask=torch.ones_like(prompt), do_sample=True,
                           max_new_tokens=96, min_new_tokens=96, pad_token_id=0)
    generate()  # warm-up
    rates = []
    for _ in range(a.iters):
        start = time.perf_counter(); generate(); rates.append(a.batch * 96 / (time.perf_counter() - start))
    rates.sort()
    print(json.dumps(dict(config=a.config, what="hfgen", dtype=a.dtype, torch=torch.__version__, threads=a.threads,
                          batch=a.batch, unit="new tokens/s", median=statistics.median(rates), min=rates[0],
                          max=rates[-1], max_rss_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)))

main()
