"""Minimal PyTorch re-implementation of Hugging Face's PatchTSMixerForPrediction (loss "mse").

Written from the HF semantics (transformers/models/patchtsmixer/modeling_patchtsmixer.py), without
importing transformers. Supported subset:

  * mode "common_channel" or "mix_channel"
  * gated_attn true / false
  * norm_mlp "LayerNorm" or anything containing "batch" (BatchNorm1d over d_model)
  * scaling "std" / true, "mean", or none/false
  * optional observed_mask, optional prediction_channel_indices
  * loss "mse" (prediction head with a single Linear(N*D, H))

Not supported (rejected): self_attn, use_positional_encoding, loss "nll", pretraining masks.

The parameter / buffer names of `PatchTSMixerForPrediction.state_dict()` are exactly HF's, so
`load_safetensors` + `load_state_dict` works on HF checkpoints and `state_dict()` can be written
back with `save_safetensors` in the same format.

Also contains a tiny numpy safetensors reader/writer (F32 / I64 / F64 only).
"""

import json
import math
import struct

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# ----------------------------------------------------------------------------------------------
# safetensors (numpy)
# ----------------------------------------------------------------------------------------------

_DT = {"F32": np.float32, "I64": np.int64, "F64": np.float64, "I32": np.int32}
_DT_INV = {np.dtype(np.float32): "F32", np.dtype(np.int64): "I64", np.dtype(np.float64): "F64",
           np.dtype(np.int32): "I32"}


def load_safetensors(path):
    """Return {name: np.ndarray} (arrays are copies, little-endian, row-major)."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dt = np.dtype(_DT[info["dtype"]]).newbyteorder("<")
        b, e = info["data_offsets"]
        arr = np.frombuffer(raw[base + b: base + e], dtype=dt).astype(dt.newbyteorder("="))
        out[name] = arr.reshape(info["shape"]).copy()
    return out


def save_safetensors(path, tensors, metadata=None):
    """Write {name: np.ndarray | torch.Tensor} as safetensors (F32 / I64 as given)."""
    header = {"__metadata__": metadata if metadata is not None else {"format": "pt"}}
    blobs = []
    off = 0
    for name, arr in tensors.items():
        if isinstance(arr, torch.Tensor):
            arr = arr.detach().cpu().numpy()
        arr = np.asarray(arr)  # (not ascontiguousarray: it turns a 0-d scalar into shape [1])
        if arr.dtype not in _DT_INV:
            raise ValueError(f"{name}: unsupported dtype {arr.dtype}")
        data = arr.astype(arr.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": _DT_INV[arr.dtype], "shape": list(arr.shape),
                        "data_offsets": [off, off + len(data)]}
        blobs.append(data)
        off += len(data)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - (8 + len(h)) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for d in blobs:
            f.write(d)


# ----------------------------------------------------------------------------------------------
# config
# ----------------------------------------------------------------------------------------------

# PatchTSMixerConfig defaults (HF), used for the keys a config.json might omit.
HF_DEFAULTS = {
    "context_length": 32, "patch_length": 8, "num_input_channels": 1, "patch_stride": 8,
    "num_parallel_samples": 100, "d_model": 8, "expansion_factor": 2, "num_layers": 3,
    "dropout": 0.2, "mode": "common_channel", "gated_attn": True, "norm_mlp": "LayerNorm",
    "self_attn": False, "self_attn_heads": 1, "use_positional_encoding": False,
    "positional_encoding_type": "sincos", "scaling": "std", "loss": "mse", "init_std": 0.02,
    "post_init": False, "norm_eps": 1e-5, "mask_type": "random", "random_mask_ratio": 0.5,
    "num_forecast_mask_patches": [2], "mask_value": 0, "masked_loss": True,
    "channel_consistent_masking": True, "unmasked_channel_indices": None, "head_dropout": 0.2,
    "distribution_output": "student_t", "prediction_length": 16,
    "prediction_channel_indices": None, "num_targets": 3, "output_range": None,
    "head_aggregation": "max_pool", "patch_last": True,
}


class Cfg:
    def __init__(self, d):
        full = dict(HF_DEFAULTS)
        full.update(d)
        self.__dict__.update(full)
        self.num_patches = (max(self.context_length, self.patch_length) - self.patch_length) \
            // self.patch_stride + 1
        if self.prediction_channel_indices is not None:
            self.prediction_channel_indices = sorted(self.prediction_channel_indices)
        if self.self_attn:
            raise NotImplementedError("self_attn is not supported by ptm_torch")
        if self.use_positional_encoding:
            raise NotImplementedError("positional encoding is not supported by ptm_torch")
        if self.loss != "mse":
            raise NotImplementedError("only loss 'mse' is supported by ptm_torch")
        if self.mode not in ("common_channel", "mix_channel"):
            raise ValueError(f"mode {self.mode!r}")

    @staticmethod
    def from_json(path):
        with open(path) as f:
            return Cfg(json.load(f))


# ----------------------------------------------------------------------------------------------
# model
# ----------------------------------------------------------------------------------------------

class StdScaler(nn.Module):
    def forward(self, data, observed):
        denom = observed.sum(1, keepdim=True).clamp_min(1.0)
        loc = (data * observed).sum(1, keepdim=True) / denom
        var = (((data - loc) * observed) ** 2).sum(1, keepdim=True) / denom
        scale = torch.sqrt(var + 1e-5)
        return (data - loc) / scale, loc, scale


class MeanScaler(nn.Module):
    def forward(self, data, observed):
        ts_sum = (data * observed).abs().sum(1, keepdim=True)
        num_obs = observed.sum(1, keepdim=True)
        scale = ts_sum / torch.clamp(num_obs, min=1)
        batch_sum = ts_sum.sum(dim=0)
        batch_obs = torch.clamp(num_obs.sum(0), min=1)
        default_scale = torch.squeeze(batch_sum / batch_obs)
        scale = torch.where(num_obs > 0, scale, default_scale * torch.ones_like(scale))
        scale = torch.clamp(scale, min=1e-10)
        return data / scale, torch.zeros_like(scale), scale


class NopScaler(nn.Module):
    def forward(self, data, observed):
        scale = torch.ones_like(data).mean(dim=1, keepdim=True)
        loc = torch.zeros_like(data).mean(dim=1, keepdim=True)
        return data, loc, scale


class BatchNormD(nn.Module):
    """HF PatchTSMixerBatchNorm: BatchNorm1d over d_model of a [B', N, D] tensor."""

    def __init__(self, cfg):
        super().__init__()
        self.batchnorm = nn.BatchNorm1d(cfg.d_model, eps=cfg.norm_eps)

    def forward(self, x):
        return self.batchnorm(x.transpose(1, 2)).transpose(1, 2)


class NormLayer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.is_batch = "batch" in cfg.norm_mlp.lower()
        self.norm = BatchNormD(cfg) if self.is_batch else nn.LayerNorm(cfg.d_model, eps=cfg.norm_eps)

    def forward(self, x):  # [B, C, N, D]
        if self.is_batch:
            s = x.shape
            return self.norm(x.reshape(s[0] * s[1], s[2], s[3])).reshape(s)
        return self.norm(x)


class MLP(nn.Module):
    def __init__(self, width, cfg):
        super().__init__()
        hidden = width * cfg.expansion_factor
        self.fc1 = nn.Linear(width, hidden)
        self.dropout1 = nn.Dropout(cfg.dropout)
        self.fc2 = nn.Linear(hidden, width)
        self.dropout2 = nn.Dropout(cfg.dropout)

    def forward(self, x):
        x = self.dropout1(F.gelu(self.fc1(x)))  # exact (erf) GELU
        return self.dropout2(self.fc2(x))


class Gating(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.attn_layer = nn.Linear(width, width)

    def forward(self, x):
        return x * torch.softmax(self.attn_layer(x), dim=-1)


class ChannelFeatureMixer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.norm = NormLayer(cfg)
        self.gated_attn = cfg.gated_attn
        self.mlp = MLP(cfg.num_input_channels, cfg)
        if cfg.gated_attn:
            self.gating_block = Gating(cfg.num_input_channels)

    def forward(self, x):
        r = x
        x = self.norm(x).permute(0, 3, 2, 1)  # [B, D, N, C]
        if self.gated_attn:
            x = self.gating_block(x)  # gate BEFORE the mlp (HF)
        x = self.mlp(x).permute(0, 3, 2, 1)
        return x + r


class PatchMixer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.norm = NormLayer(cfg)
        self.gated_attn = cfg.gated_attn
        self.mlp = MLP(cfg.num_patches, cfg)
        if cfg.gated_attn:
            self.gating_block = Gating(cfg.num_patches)

    def forward(self, x):
        r = x
        x = self.norm(x).transpose(2, 3)  # [B, C, D, N]
        x = self.mlp(x)
        if self.gated_attn:
            x = self.gating_block(x)
        return x.transpose(2, 3) + r


class FeatureMixer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.norm = NormLayer(cfg)
        self.gated_attn = cfg.gated_attn
        self.mlp = MLP(cfg.d_model, cfg)
        if cfg.gated_attn:
            self.gating_block = Gating(cfg.d_model)

    def forward(self, x):
        r = x
        x = self.mlp(self.norm(x))
        if self.gated_attn:
            x = self.gating_block(x)
        return x + r


class MixerLayer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.mix_channel = cfg.mode == "mix_channel"
        if self.mix_channel:
            self.channel_feature_mixer = ChannelFeatureMixer(cfg)
        self.patch_mixer = PatchMixer(cfg)
        self.feature_mixer = FeatureMixer(cfg)

    def forward(self, x):
        if self.mix_channel:
            x = self.channel_feature_mixer(x)
        return self.feature_mixer(self.patch_mixer(x))


class MixerBlock(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.mixers = nn.ModuleList([MixerLayer(cfg) for _ in range(cfg.num_layers)])

    def forward(self, x):
        hs = []
        for m in self.mixers:
            x = m(x)
            hs.append(x)
        return x, hs


class Encoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.patcher = nn.Linear(cfg.patch_length, cfg.d_model)
        self.mlp_mixer_encoder = MixerBlock(cfg)

    def forward(self, patches):
        return self.mlp_mixer_encoder(self.patcher(patches))


class Backbone(nn.Module):
    """HF PatchTSMixerModel (no masking: the prediction model never masks)."""

    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.encoder = Encoder(cfg)
        s = cfg.scaling
        if s in ("mean",):
            self.scaler = MeanScaler()
        elif s in ("std", True):
            self.scaler = StdScaler()
        else:
            self.scaler = NopScaler()

    def patchify(self, x):  # [B, L, C] -> [B, C, N, P]
        cfg = self.cfg
        new_len = cfg.patch_length + cfg.patch_stride * (cfg.num_patches - 1)
        x = x[:, x.shape[1] - new_len:, :]
        x = x.unfold(dimension=-2, size=cfg.patch_length, step=cfg.patch_stride)  # [B, N, C, P]
        return x.transpose(-2, -3).contiguous()

    def forward(self, past_values, observed_mask=None):
        if past_values.shape[1] != self.cfg.context_length:
            raise ValueError("past_values length != context_length")
        if observed_mask is None:
            observed_mask = torch.ones_like(past_values)
        scaled, loc, scale = self.scaler(past_values, observed_mask)
        patches = self.patchify(scaled)
        last, hs = self.encoder(patches)
        return {"last_hidden_state": last, "hidden_states": hs, "patch_input": patches,
                "loc": loc, "scale": scale}


class ForecastHead(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.dropout_layer = nn.Dropout(cfg.head_dropout)
        self.base_forecast_block = nn.Linear(cfg.num_patches * cfg.d_model, cfg.prediction_length)

    def forward(self, h):  # [B, C, N, D]
        h = self.dropout_layer(h.flatten(start_dim=-2))
        return self.base_forecast_block(h).transpose(-1, -2)  # [B, H, C]


class PatchTSMixerForPrediction(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        if isinstance(cfg, dict):
            cfg = Cfg(cfg)
        self.cfg = cfg
        self.model = Backbone(cfg)
        self.head = ForecastHead(cfg)

    def forward(self, past_values, future_values=None, observed_mask=None):
        out = self.model(past_values, observed_mask)
        y = self.head(out["last_hidden_state"])
        loc, scale = out["loc"], out["scale"]
        res = {}
        idx = self.cfg.prediction_channel_indices
        if idx is not None:
            res["model.loc"], res["model.scale"] = loc, scale
            y = y[..., idx]
            loc, scale = loc[..., idx], scale[..., idx]
        y = y * scale + loc
        res["prediction_outputs"] = y
        if future_values is not None:
            fv = future_values[..., idx] if idx is not None else future_values
            res["loss"] = F.mse_loss(y, fv)
        res["loc"], res["scale"] = loc, scale
        res["patch_input"] = out["patch_input"]
        res["last_hidden_state"] = out["last_hidden_state"]
        for k, h in enumerate(out["hidden_states"]):
            res[f"hidden_states.{k}"] = h
        return res

    # -- io ------------------------------------------------------------------------------------
    def load_hf(self, path):
        sd = {k: torch.from_numpy(v) for k, v in load_safetensors(path).items()}
        missing, unexpected = self.load_state_dict(sd, strict=True), None
        return missing

    def save_hf(self, path):
        save_safetensors(path, {k: v.detach().cpu().contiguous() for k, v in self.state_dict().items()})


def hf_config_dict(cfg_overrides):
    """A config.json dict as HF's save_pretrained writes it for PatchTSMixerForPrediction."""
    d = dict(HF_DEFAULTS)
    d.update(cfg_overrides)
    d["num_patches"] = (max(d["context_length"], d["patch_length"]) - d["patch_length"]) \
        // d["patch_stride"] + 1
    d["architectures"] = ["PatchTSMixerForPrediction"]
    d["model_type"] = "patchtsmixer"
    d["torch_dtype"] = "float32"
    return d


def write_hf_config(path, d):
    with open(path, "w") as f:
        f.write(json.dumps(d, indent=2, sort_keys=True) + "\n")
