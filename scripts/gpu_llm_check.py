"""GPU check for LLM students (issue 6): a random ~1.1B Llama-shaped decoder (TinyLlama shape, no pad
token, left padding) trained by ``train_arca`` with LoRA r=16, dtype auto (-> bf16 backbone, fp32
adapters), bf16 autocast and gradient checkpointing, against a random MiniLM-shaped teacher (384
wide, so the 2048->384 projection is exercised). Records step times, peak GPU memory with and
without checkpointing and at batch 128, and that the merged float32 student reloads with
``ArcaEncoder.load``. Writes ``$OUT/gpu_llm_check.json``.

Not run yet (no GPU was lent to the session that wrote it). On a GPU machine, from the repo root:

    HF_HUB_OFFLINE=1 PYTHONPATH=$PWD python scripts/gpu_llm_check.py

Without CUDA it runs a 2-layer, 2-step dry run of itself on the CPU (~40 s).
"""
import json, math, os, sys, time
from pathlib import Path
import numpy as np
import torch

OUT = Path(os.environ.get("OUT", "/tmp/out")); OUT.mkdir(parents=True, exist_ok=True)
ROOT = Path("/tmp/llmcheck"); ROOT.mkdir(parents=True, exist_ok=True)
CUDA = torch.cuda.is_available()
SMALL = not CUDA  # CPU dry run of the script itself
DEV = "cuda" if CUDA else "cpu"
if not CUDA:
    for name in ("synchronize", "reset_peak_memory_stats", "empty_cache"):
        setattr(torch.cuda, name, lambda *a, **k: None)
    torch.cuda.max_memory_allocated = lambda *a, **k: 0
report = {"torch": torch.__version__, "device": torch.cuda.get_device_name(0) if CUDA else "cpu"}
import transformers, sentence_transformers, peft
report.update(transformers=transformers.__version__, sentence_transformers=sentence_transformers.__version__, peft=peft.__version__)
LANGS = ["th", "vi", "id", "ms", "fil", "ur", "bn"]

def save():
    (OUT / "gpu_llm_check.json").write_text(json.dumps(report, indent=2))

from lira.data.pairs import load_pairs
pairs = load_pairs(None, split="train", languages=LANGS)
texts = [p.en for p in pairs] + [p.text for p in pairs]
t = time.time()
from tokenizers import Tokenizer, decoders, normalizers, pre_tokenizers, trainers
from tokenizers.models import BPE
from tokenizers.processors import TemplateProcessing
from transformers import PreTrainedTokenizerFast
tok = Tokenizer(BPE(unk_token="<unk>"))
tok.normalizer = normalizers.NFKC(); tok.pre_tokenizer = pre_tokenizers.Metaspace(); tok.decoder = decoders.Metaspace()
tok.train_from_iterator(texts, trainers.BpeTrainer(vocab_size=2000 if SMALL else 16000, special_tokens=["<pad>", "<eos>", "<bos>", "<unk>"]))
tok.post_processor = TemplateProcessing(single="<bos> $A", special_tokens=[("<bos>", 2)])
fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<bos>", eos_token="<eos>", unk_token="<unk>", padding_side="left")  # no pad token: Llama-like
report["tokenizer_seconds"] = round(time.time() - t, 1)

from transformers import BertConfig, BertModel, LlamaConfig, LlamaModel
from sentence_transformers import SentenceTransformer
from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer
# teacher: random MiniLM-shaped BERT (384 wide), as a sentence-transformers folder
torch.manual_seed(0)
tdir = ROOT / "teacher_hf"
tfast = PreTrainedTokenizerFast(tokenizer_object=Tokenizer.from_str(tok.to_str()), bos_token="<bos>", eos_token="<eos>", unk_token="<unk>", pad_token="<pad>", cls_token="<bos>", sep_token="<eos>")
BertModel(BertConfig(vocab_size=len(fast), hidden_size=384, num_hidden_layers=6, num_attention_heads=12, intermediate_size=1536, max_position_embeddings=512, pad_token_id=0)).save_pretrained(tdir)
tfast.save_pretrained(tdir)
tr = Transformer(str(tdir), max_seq_length=64)
SentenceTransformer(modules=[tr, Pooling(384, "mean"), Normalize()], device="cpu").save(str(ROOT / "teacher"))
# student: TinyLlama shape, random, plain transformers folder (bf16 on disk)
t = time.time()
sdir = ROOT / "student"
cfg = LlamaConfig(vocab_size=len(fast), hidden_size=64 if SMALL else 2048, intermediate_size=128 if SMALL else 5632, num_hidden_layers=2 if SMALL else 22, num_attention_heads=32, num_key_value_heads=4, max_position_embeddings=2048, bos_token_id=2, eos_token_id=1)
with torch.device(DEV):
    m = LlamaModel(cfg).to(torch.bfloat16)
report["student_params_M"] = round(sum(p.numel() for p in m.parameters()) / 1e6, 1)
m.save_pretrained(sdir); fast.save_pretrained(sdir); del m; torch.cuda.empty_cache()
report["student_build_seconds"] = round(time.time() - t, 1)
save()

from lira.arca.model import ArcaEncoder
from lira.config import LiraConfig
from lira.models.backbone import is_lora, pooling_module
from lira.train import train_arca

def run(name, steps, ckpt, batch=32):
    c = LiraConfig()
    c.model.teacher = str(ROOT / "teacher"); c.model.student = str(sdir)
    c.model.lora_rank = 16; c.model.lora_alpha = 32; c.model.gradient_checkpointing = ckpt
    c.data.languages = LANGS; c.data.max_train_pairs_per_language = 2000
    c.train.output_dir = str(ROOT / name); c.train.batch_size = batch; c.train.max_steps = steps
    c.train.learning_rate = 2e-4; c.train.checkpoint_every = 10_000; c.train.log_every = 5
    torch.cuda.reset_peak_memory_stats(); times = []; losses = []; last = [time.perf_counter()]
    def on_step(step, logs):
        torch.cuda.synchronize(); now = time.perf_counter(); times.append(now - last[0]); last[0] = now; losses.append(logs["loss"])
    steps = 2 if SMALL else steps
    c.train.max_steps = steps; c.train.batch_size = 4 if SMALL else batch
    t0 = time.perf_counter()
    r = train_arca(c, resume=False, progress=False, on_step=on_step)
    rec = {"steps": r.steps, "batch": batch, "grad_ckpt": ckpt, "seconds": round(time.perf_counter() - t0, 1),
           "median_step_s": round(float(np.median(times[2:] or times)), 3), "first_losses": [round(x, 3) for x in losses[:3]],
           "last_losses": [round(x, 3) for x in losses[-3:]], "finite": all(math.isfinite(x) for x in losses),
           "peak_gpu_GiB": round(torch.cuda.max_memory_allocated() / 2**30, 2), "pairs_per_s": round(r.pairs_seen / r.seconds, 1)}
    report[name] = rec; save(); print(name, rec, flush=True)
    return r, c

try:
    # the built model itself: dtype, trainable parameters, pooling
    probe = ArcaEncoder.from_student(str(sdir), LiraConfig.from_dict({"model": {"teacher": str(ROOT / "teacher"), "lora_rank": 16, "gradient_checkpointing": True}}).model, device=DEV)
    st = probe.transformer.model
    report["built"] = {"lora": is_lora(st), "pooling": pooling_module(st).pooling_mode, "dim": probe.dim,
        "backbone_dtype": str(st[0].auto_model.get_input_embeddings().weight.dtype),
        "trainable_backbone_M": round(sum(p.numel() for p in st[0].parameters() if p.requires_grad) / 1e6, 2),
        "lora_dtype": str(next(p.dtype for n, p in st.named_parameters() if "lora_" in n)),
        "pad_token": st.tokenizer.pad_token}
    t = time.time(); e = probe.encode(texts[:512], batch_size=128); torch.cuda.synchronize()
    report["built"]["encode_512_s"] = round(time.time() - t, 2); report["built"]["encode_finite"] = bool(np.isfinite(e).all())
    del probe, st; torch.cuda.empty_cache(); save()
    r, c = run("lora_bf16_ckpt", 40, True)
    run("lora_bf16_nockpt", 15, False)
    run("lora_bf16_ckpt_b128", 10, True, batch=128)
    t = time.time(); loaded = ArcaEncoder.load(r.model_dir, device=DEV)
    a = loaded.encode(texts[:64]); b = ArcaEncoder.load(r.model_dir, device=DEV).encode(texts[:64])
    report["reload"] = {"seconds": round(time.time() - t, 1), "dim": loaded.dim, "finite": bool(np.isfinite(a).all()),
        "max_abs_diff_two_loads": float(np.abs(a - b).max()), "lora_after_load": is_lora(loaded.transformer.model),
        "student_MB": round(sum(f.stat().st_size for f in (Path(r.model_dir) / "student").rglob("*")) / 2**20)}
except Exception as err:  # keep what was measured
    import traceback; report["error"] = traceback.format_exc()[-3000:]
save(); print(json.dumps(report, indent=1))
