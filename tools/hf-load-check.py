#!/usr/bin/env python3
"""Checks that a folder written by `rlhf pretrain` / `rlhf sft` loads unchanged in Hugging Face
transformers and computes what rlhf computes: GPT2LMHeadModel.from_pretrained(DIR) and
AutoTokenizer.from_pretrained(DIR), the same token ids for a text, and log-probabilities within 1e-4 of
`rlhf logprobs`. Optional (the project never needs Python): /work/venv-hf/bin/python tools/hf-load-check.py DIR

usage: hf-load-check.py DIR [TEXT] [--rlhf PATH-TO-rlhf]
"""
import json, subprocess, sys

def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    rlhf = ".build/release/rlhf"
    if "--rlhf" in sys.argv:
        rlhf = sys.argv[sys.argv.index("--rlhf") + 1]
        args.remove(rlhf)
    if not args:
        sys.exit(__doc__)
    directory = args[0]
    text = args[1] if len(args) > 1 else "Write a short review of the red kettle: The red kettle is great."
    import torch
    from transformers import AutoTokenizer, GPT2LMHeadModel
    model = GPT2LMHeadModel.from_pretrained(directory).eval()
    tokenizer = AutoTokenizer.from_pretrained(directory)
    ids = tokenizer(text).input_ids
    with torch.no_grad():
        logp = torch.log_softmax(model(torch.tensor([ids])).logits[0], -1)
    theirs = [logp[i, ids[i + 1]].item() for i in range(len(ids) - 1)]
    out = subprocess.run([rlhf, "logprobs", "--model", directory, "--json", "--ids", ",".join(map(str, ids))],
                         check=True, capture_output=True, text=True).stdout
    ours = json.loads(out)["logprobs"]
    encoded = subprocess.run([rlhf, "tokenizer", "encode", "--tokenizer", directory, text],
                             check=True, capture_output=True, text=True).stdout
    our_ids = [int(line.split("\t")[0]) for line in encoded.splitlines() if line]
    worst = max(abs(a - b) for a, b in zip(theirs, ours))
    ok = worst < 1e-4 and our_ids == ids
    print(json.dumps({"tokens": len(ids), "same_ids": our_ids == ids, "max_abs_logprob_difference": worst, "ok": ok}))
    sys.exit(0 if ok else 1)

if __name__ == "__main__":
    main()
