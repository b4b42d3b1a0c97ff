"""PyTorch re-implementation of IBM's TinyTimeMixerForPrediction / TinyTimeMixerModel (inference).

Written from the behaviour pinned down by tests/golden/ttm/README.md (which follows granite-tsfm's
tsfm_public/models/tinytimemixer/modeling_tinytimemixer.py), without importing granite-tsfm or
transformers; the mixer layers are dev/ptm_torch.py's (PatchTSMixer's blocks). Checked by
dev/check_ttm_torch.py against the golden cases; bench/compare runs it beside our engine.
Supported:

  * adaptive patching (encoder and decoder levels, with the D // 2^i <= 4 fallback), one-patch
    layers without a patch mixer
  * positional encoding (the stored table: sincos or random), resolution prefix tuning
    (freq_token), decoder (adapter, raw-patch residual, static categorical channels, common or
    mix_channel), backbone mode common_channel or mix_channel, use_decoder false
  * scaling std / true, mean, none; past_observed_mask; past_values longer than context_length
  * head: prediction_channel_indices, prediction_filter_length; losses mse, mae, pinball, huber
    (with future_observed_mask)
  * the headless TinyTimeMixerModel (state_dict names without "backbone.")

Not supported (rejected): self-attention, the forecast channel mixer
(enable_forecast_channel_mixing). Eval-mode semantics (dropout is an nn.Dropout, BatchNorm uses
its running statistics in eval()); no training-specific checks.

Patchify is written with a reshape / index gather instead of Tensor.unfold so that the module
exports with torch.onnx.export (opset 17) with a dynamic batch axis.
"""

import json
import math
import os
import sys
from types import SimpleNamespace

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ptm_torch as ptm  # noqa: E402

# TinyTimeMixerConfig's defaults (granite-tsfm), for the keys a config.json (r1) may omit
TTM_DEFAULTS = {
    "context_length": 64, "patch_length": 8, "num_input_channels": 1, "prediction_length": 16,
    "patch_stride": 8, "prediction_channel_indices": None, "exogenous_channel_indices": None,
    "d_model": 16, "expansion_factor": 2, "num_layers": 3, "dropout": 0.2, "mode": "common_channel",
    "gated_attn": True, "norm_mlp": "LayerNorm", "self_attn": False, "self_attn_heads": 1,
    "use_positional_encoding": False, "positional_encoding_type": "sincos", "scaling": "std",
    "loss": "mse", "init_std": 0.02, "post_init": False, "norm_eps": 1e-5,
    "adaptive_patching_levels": 0, "resolution_prefix_tuning": False,
    "frequency_token_vocab_size": 5, "head_dropout": 0.2, "distribution_output": "student_t",
    "num_parallel_samples": 100, "decoder_num_layers": 8, "decoder_d_model": 8,
    "decoder_adaptive_patching_levels": 0, "decoder_raw_residual": False,
    "decoder_mode": "common_channel", "use_decoder": True, "enable_forecast_channel_mixing": False,
    "fcm_gated_attn": True, "fcm_context_length": 1, "fcm_prepend_past": True,
    "fcm_prepend_past_offset": None, "fcm_mix_layers": 2, "prediction_filter_length": None,
    "categorical_vocab_size_list": None, "huber_delta": 1.0, "quantile": 0.5,
}


class TCfg:
    def __init__(self, d):
        full = dict(TTM_DEFAULTS)
        full.update(d)
        self.__dict__.update(full)
        arch = (d.get("architectures") or ["TinyTimeMixerForPrediction"])[0]
        if arch not in ("TinyTimeMixerForPrediction", "TinyTimeMixerModel"):
            raise ValueError(f"architectures: {arch!r}")
        self.headless = arch == "TinyTimeMixerModel"
        self.num_raw_patches = (max(self.context_length, self.patch_length) - self.patch_length) \
            // self.patch_stride + 1
        self.num_patches = self.num_raw_patches + (1 if self.resolution_prefix_tuning else 0)
        if d.get("num_patches") not in (None, self.num_patches):
            raise ValueError(f"num_patches {d['num_patches']} != computed {self.num_patches}")
        if self.self_attn:
            raise NotImplementedError("self_attn is not supported by ttm_torch")
        if self.enable_forecast_channel_mixing:
            raise NotImplementedError("the forecast channel mixer is not supported by ttm_torch")
        if self.loss not in ("mse", "mae", "pinball", "huber"):
            raise NotImplementedError(f"loss {self.loss!r}")
        exo = self.exogenous_channel_indices
        if self.prediction_channel_indices is None and exo:
            self.prediction_channel_indices = [c for c in range(self.num_input_channels) if c not in exo]
        if self.prediction_channel_indices is not None:
            self.prediction_channel_indices = sorted(self.prediction_channel_indices)
        self.n_cat = len(self.categorical_vocab_size_list or [])
        self.dec_d = self.decoder_d_model if self.use_decoder else self.d_model

    @staticmethod
    def from_json(path):
        with open(path) as f:
            return TCfg(json.load(f))


def stack_cfg(cfg, n_patches, width, channels, mode, dropout):
    """What ptm_torch's mixer blocks read, for one stack of layers."""
    return SimpleNamespace(d_model=width, num_patches=n_patches, num_input_channels=channels, mode=mode,
                           expansion_factor=cfg.expansion_factor, dropout=dropout, gated_attn=cfg.gated_attn,
                           norm_mlp=cfg.norm_mlp, norm_eps=cfg.norm_eps)


class Layer(nn.Module):
    """TTM's mixer layer: PatchTSMixer's, without a patch mixer where the layer sees one patch."""

    def __init__(self, sc):
        super().__init__()
        self.mix_channel = sc.mode == "mix_channel"
        if self.mix_channel:
            self.channel_feature_mixer = ptm.ChannelFeatureMixer(sc)
        self.has_patch_mixer = sc.num_patches > 1
        if self.has_patch_mixer:
            self.patch_mixer = ptm.PatchMixer(sc)
        self.feature_mixer = ptm.FeatureMixer(sc)

    def forward(self, x):
        if self.mix_channel:
            x = self.channel_feature_mixer(x)
        if self.has_patch_mixer:
            x = self.patch_mixer(x)
        return self.feature_mixer(x)


class Level(nn.Module):
    """One adaptive-patching level: [B, C, N, D] seen as [B, C, N f, D / f], its layers, back."""

    def __init__(self, cfg, factor, n, d, channels, mode, layers, dropout):
        super().__init__()
        self.factor, self.n, self.d, self.channels = factor, n, d, channels
        sc = stack_cfg(cfg, n * factor, d // factor, channels, mode, dropout)
        self.mixer_layers = nn.ModuleList([Layer(sc) for _ in range(layers)])

    def forward(self, x, hs):
        hs.append(x)
        x = x.reshape(-1, self.channels, self.n * self.factor, self.d // self.factor)
        hs.append(x)
        for m in self.mixer_layers:
            x = m(x)
            hs.append(x)
        x = x.reshape(-1, self.channels, self.n, self.d)
        hs.append(x)
        return x


class Block(nn.Module):
    """A stack of layers: flat (levels <= 0) or adaptive levels, largest factor first."""

    def __init__(self, cfg, n, d, channels, mode, layers, levels, dropout):
        super().__init__()
        self.levels = levels
        if levels <= 0:
            sc = stack_cfg(cfg, n, d, channels, mode, dropout)
            self.mixers = nn.ModuleList([Layer(sc) for _ in range(layers)])
        else:
            factors = [2 ** (levels - 1 - j) for j in range(levels)]
            factors = [f if d // f > 4 else 1 for f in factors]
            self.mixers = nn.ModuleList([Level(cfg, f, n, d, channels, mode, layers, dropout) for f in factors])

    def forward(self, x, hs):
        for m in self.mixers:
            if self.levels <= 0:
                x = m(x)
                hs.append(x)
            else:
                x = m(x, hs)
        return x


class PositionalEncoding(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        table = sincos_table(cfg.num_patches, cfg.d_model) if cfg.positional_encoding_type == "sincos" \
            else torch.randn(cfg.num_patches, cfg.d_model)
        self.position_enc = nn.Parameter(table, requires_grad=cfg.positional_encoding_type != "sincos")

    def forward(self, x):
        return x + self.position_enc


def sincos_table(n, d):
    """sin / cos of position * exp(-ln(10000) k / d) in the even / odd columns, centred and
    divided by 10 standard deviations (what the golden cases store)."""
    pe = torch.zeros(n, d)
    pos = torch.arange(0, n).unsqueeze(1)
    div = torch.exp(torch.arange(0, d, 2) * -(math.log(10000.0) / d))
    pe[:, 0::2] = torch.sin(pos * div)
    pe[:, 1::2] = torch.cos(pos * div)
    pe = pe - pe.mean()
    return pe / (pe.std() * 10)


class Encoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.patcher = nn.Linear(cfg.patch_length, cfg.d_model)
        if cfg.resolution_prefix_tuning:
            mid = (cfg.patch_length + cfg.d_model) // 2
            self.freq_mod = nn.Sequential(nn.Embedding(cfg.frequency_token_vocab_size, cfg.patch_length),
                                          nn.Linear(cfg.patch_length, mid), nn.GELU(), nn.Linear(mid, cfg.d_model))
        if cfg.use_positional_encoding:
            self.positional_encoder = PositionalEncoding(cfg)
        self.mlp_mixer_encoder = Block(cfg, cfg.num_patches, cfg.d_model, cfg.num_input_channels, cfg.mode,
                                       cfg.num_layers, cfg.adaptive_patching_levels, cfg.dropout)

    def forward(self, patches, freq_token, hs):
        x = self.patcher(patches)  # [B, C, N_raw, D]
        if self.cfg.resolution_prefix_tuning:
            if freq_token is None:
                raise ValueError("this model has a frequency-token prefix: freq_token is required")
            e = self.freq_mod(freq_token.long())  # [B, D]
            e = e[:, None, None, :].expand(-1, x.shape[1], 1, -1)
            x = torch.cat([e, x], dim=2)
        if self.cfg.use_positional_encoding:
            x = self.positional_encoder(x)
        return self.mlp_mixer_encoder(x, hs)


def make_scaler(scaling):
    if scaling == "mean":
        return ptm.MeanScaler()
    if scaling in ("std", True):
        return ptm.StdScaler()
    return ptm.NopScaler()


class Backbone(nn.Module):
    """TinyTimeMixerModel: scaler, patchify, encoder."""

    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.scaler = make_scaler(cfg.scaling)
        self.encoder = Encoder(cfg)
        P, S, N = cfg.patch_length, cfg.patch_stride, cfg.num_raw_patches
        self.register_buffer("patch_index", (torch.arange(N)[:, None] * S + torch.arange(P)[None, :]).reshape(-1),
                             persistent=False)

    def patchify(self, x):  # [B, L, C] -> [B, C, N_raw, P], what Tensor.unfold gives
        cfg = self.cfg
        P, S, N, C = cfg.patch_length, cfg.patch_stride, cfg.num_raw_patches, cfg.num_input_channels
        x = x[:, cfg.context_length - (P + S * (N - 1)):, :]
        x = x.reshape(-1, N, P, C) if S == P else x[:, self.patch_index, :].reshape(-1, N, P, C)
        return x.permute(0, 3, 1, 2)

    def forward(self, past_values, observed_mask=None, freq_token=None):
        L = self.cfg.context_length
        if past_values.shape[1] < L:
            raise ValueError(f"past_values has {past_values.shape[1]} steps, context_length is {L}")
        past_values = past_values[:, past_values.shape[1] - L:, :]
        if observed_mask is None:
            observed_mask = torch.ones_like(past_values)
        scaled, loc, scale = self.scaler(past_values, observed_mask)
        patches = self.patchify(scaled)
        hs = []
        last = self.encoder(patches, freq_token, hs)
        return {"last_hidden_state": last, "hidden_states": hs, "patch_input": patches, "loc": loc,
                "scale": scale}


class CategoricalEmbedding(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.embedding_layers = nn.ModuleList([nn.Embedding(v, cfg.decoder_d_model)
                                               for v in cfg.categorical_vocab_size_list])

    def forward(self, idx, n):  # idx [B, n_cat] -> [B, n_cat, n, Dd]
        e = torch.stack([emb(idx[:, k].long()) for k, emb in enumerate(self.embedding_layers)], dim=1)
        return e[:, :, None, :].expand(-1, -1, n, -1)


class Decoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        D, Dd = cfg.d_model, cfg.decoder_d_model
        if D != Dd:
            self.adapter = nn.Linear(D, Dd)
        if cfg.decoder_raw_residual:
            self.decoder_raw_embedding = nn.Linear(cfg.patch_length, Dd)
        if cfg.n_cat:
            self.decoder_cat_embedding_layer = CategoricalEmbedding(cfg)
        self.decoder_block = Block(cfg, cfg.num_patches, Dd, cfg.num_input_channels + cfg.n_cat, cfg.decoder_mode,
                                   cfg.decoder_num_layers, cfg.decoder_adaptive_patching_levels, cfg.head_dropout)

    def forward(self, x, patch_input, static_categorical_values, hs):
        cfg = self.cfg
        if cfg.d_model != cfg.decoder_d_model:
            x = self.adapter(x)
            hs.append(x)
        if cfg.decoder_raw_residual:
            p = patch_input
            if cfg.resolution_prefix_tuning:  # the prefix patch gets a zero raw patch
                p = torch.cat([torch.zeros_like(p[:, :, :1, :]), p], dim=2)
            x = x + self.decoder_raw_embedding(p)
            hs.append(x)
        if cfg.n_cat:
            if static_categorical_values is None:
                raise ValueError("this model has categorical channels: static_categorical_values is required")
            x = torch.cat([x, self.decoder_cat_embedding_layer(static_categorical_values, x.shape[2])], dim=1)
        x = self.decoder_block(x, hs)
        if cfg.n_cat:
            x = x[:, :cfg.num_input_channels]
            hs.append(x)
        return x


class Head(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.dropout_layer = nn.Dropout(cfg.head_dropout)
        self.base_forecast_block = nn.Linear(cfg.num_patches * cfg.dec_d, cfg.prediction_length)

    def forward(self, h):  # [B, C, N, Dd] -> [B, H, C]
        return self.base_forecast_block(self.dropout_layer(h.flatten(start_dim=-2))).transpose(-1, -2)


def point_loss(cfg, y, target, mask):
    if cfg.loss == "mse":
        e = (y - target) ** 2
    elif cfg.loss == "mae":
        e = (y - target).abs()
    elif cfg.loss == "pinball":
        d = target - y
        e = torch.maximum(cfg.quantile * d, (cfg.quantile - 1) * d)
    else:
        a, dl = (y - target).abs(), cfg.huber_delta
        e = torch.where(a < dl, 0.5 * a * a, dl * (a - 0.5 * dl))
    return e.mean() if mask is None else e[mask > 0].mean()


class TinyTimeMixerForPrediction(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        if isinstance(cfg, dict):
            cfg = TCfg(cfg)
        if cfg.headless:
            raise ValueError("a TinyTimeMixerModel config: use TinyTimeMixerModel")
        self.cfg = cfg
        self.backbone = Backbone(cfg)
        if cfg.use_decoder:
            self.decoder = Decoder(cfg)
        self.head = Head(cfg)

    def forward(self, past_values, future_values=None, past_observed_mask=None, future_observed_mask=None,
                freq_token=None, static_categorical_values=None):
        cfg = self.cfg
        out = self.backbone(past_values, past_observed_mask, freq_token)
        hs = out["hidden_states"]
        enc = out["last_hidden_state"]
        dec = self.decoder(enc, out["patch_input"], static_categorical_values, hs) if cfg.use_decoder else enc
        y = self.head(dec)  # [B, H, C], scaled
        loc, scale = out["loc"], out["scale"]
        res = {}
        idx = cfg.prediction_channel_indices
        if idx is not None:
            res["backbone.loc"], res["backbone.scale"] = loc, scale
            y, loc, scale = y[..., idx], loc[..., idx], scale[..., idx]
        if cfg.prediction_filter_length is not None:
            y = y[:, :cfg.prediction_filter_length, :]
        y = y * scale + loc
        res["prediction_outputs"] = y
        if future_values is not None:
            fv, fm = future_values[:, :y.shape[1]], future_observed_mask
            fm = fm[:, :y.shape[1]] if fm is not None else None
            if idx is not None and fv.shape[-1] == cfg.num_input_channels:
                fv = fv[..., idx]
                fm = fm[..., idx] if fm is not None else None
            res["loss"] = point_loss(cfg, y, fv, fm)
        res.update({"loc": loc, "scale": scale, "patch_input": out["patch_input"], "backbone_hidden_state": enc,
                    "decoder_hidden_state": dec})
        for k, h in enumerate(hs):
            res[f"hidden_states.{k}"] = h
        return res

    def load_hf(self, path):
        sd = {k: torch.from_numpy(v) for k, v in ptm.load_safetensors(path).items()}
        self.load_state_dict(sd, strict=True)

    def save_hf(self, path):
        ptm.save_safetensors(path, {k: v.detach().cpu().contiguous() for k, v in self.state_dict().items()})


class TinyTimeMixerModel(Backbone):
    """The headless model: the backbone's outputs, names without "backbone."."""

    def __init__(self, cfg):
        if isinstance(cfg, dict):
            cfg = TCfg(cfg)
        super().__init__(cfg)

    def forward(self, past_values, past_observed_mask=None, freq_token=None, **_ignored):
        out = super().forward(past_values, past_observed_mask, freq_token)
        res = {k: out[k] for k in ("last_hidden_state", "patch_input", "loc", "scale")}
        for k, h in enumerate(out["hidden_states"]):
            res[f"hidden_states.{k}"] = h
        return res

    load_hf = TinyTimeMixerForPrediction.load_hf
    save_hf = TinyTimeMixerForPrediction.save_hf


def is_ttm_config(d):
    return d.get("model_type") == "tinytimemixer"


def load(model_dir):
    """The model of a directory (config.json + model.safetensors), in eval mode."""
    cfg = TCfg.from_json(os.path.join(model_dir, "config.json"))
    m = TinyTimeMixerModel(cfg) if cfg.headless else TinyTimeMixerForPrediction(cfg)
    m.load_hf(os.path.join(model_dir, "model.safetensors"))
    return m.eval()


def write_random(config_dict, out_dir, seed=0):
    """A checkpoint of config_dict with PyTorch's default initialisation (seeded): config.json as
    given (num_patches recomputed) + model.safetensors."""
    d = dict(config_dict)
    cfg = TCfg({k: v for k, v in d.items() if k != "num_patches"})
    d["num_patches"] = cfg.num_patches
    torch.manual_seed(seed)
    m = TinyTimeMixerModel(cfg) if cfg.headless else TinyTimeMixerForPrediction(cfg)
    os.makedirs(out_dir, exist_ok=True)
    ptm.write_hf_config(os.path.join(out_dir, "config.json"), d)
    m.save_hf(os.path.join(out_dir, "model.safetensors"))
