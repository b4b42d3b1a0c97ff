"""hf_nll_one_target.py - reference values for tests/test_nll_one_target.c: Hugging Face's
PatchTSMixerForRegression distribution head with num_targets 1 (loss "nll"), replicated from
transformers' time_series_utils.py / modeling_patchtsmixer.py with Debian's PyTorch
(apt-get install python3-torch; /usr/bin/python3 dev/hf_nll_one_target.py):

  - each projection nn.Linear(F, args_dim * dim) with dim = num_targets = 1 gives [B, 1];
  - domain_map: squareplus (+ clamp_min(eps) for scales, 2 + for df), then .squeeze(-1): [B];
  - DistributionOutput(dim=1)._base_distribution: the torch distribution itself (no
    Independent), batch shape [B], event shape ();
  - forward: loss = weighted_average(nll(distribution, target_values)) with target_values
    [B, 1]: -log_prob broadcasts [B] against [B, 1] to [B, B] and the mean is over B^2 terms;
    regression_outputs = tuple(item.view(-1, 1)): [B, 1] each;
  - generate: num_parallel_samples draws of shape [B], stacked on dim 1 and viewed
    [B, S, 1].

Prints the raw projections, targets, the loss and its gradient with respect to each raw
projection (autograd), as C initialisers."""
import torch
from torch.distributions import NegativeBinomial, Normal, StudentT

torch.set_default_dtype(torch.float32)


def squareplus(x):
    return (x + torch.sqrt(torch.square(x) + 4.0)) / 2.0


def student_t(df, loc, scale):
    scale = squareplus(scale).clamp_min(torch.finfo(scale.dtype).eps)
    df = 2.0 + squareplus(df)
    return StudentT(df.squeeze(-1), loc.squeeze(-1), scale.squeeze(-1))


def normal(loc, scale):
    scale = squareplus(scale).clamp_min(torch.finfo(scale.dtype).eps)
    return Normal(loc.squeeze(-1), scale.squeeze(-1))


def negative_binomial(total_count, logits):
    total_count = squareplus(total_count)
    return NegativeBinomial(total_count=total_count.squeeze(-1), logits=logits.squeeze(-1))


CASES = {
    "student_t": (student_t, [[0.3, -1.2, 2.0], [0.5, -0.7, 1.9], [-0.4, 0.8, -2.5]],
                  [1.1, -0.3, 0.6]),
    "normal": (normal, [[0.2, -0.9, 1.4], [0.7, -1.5, 0.05]], [0.9, -1.1, 0.2]),
    "negative_binomial": (negative_binomial, [[0.4, 1.8, -0.6], [0.3, -0.8, 1.2]],
                          [2.0, 0.0, 5.0]),
}

for name, (make, raw, target) in CASES.items():
    params = [torch.tensor(r).view(-1, 1).requires_grad_(True) for r in raw]  # [B, 1] each
    y = torch.tensor(target).view(-1, 1)  # target_values [B, num_targets]
    dist = make(*params)
    nll = -dist.log_prob(y)  # [B] against [B, 1]: [B, B]
    assert nll.shape == (len(target), len(target)), nll.shape
    loss = nll.mean()  # weighted_average without weights
    loss.backward()
    samples = torch.stack([dist.sample() for _ in range(7)], dim=1).view(-1, 7, 1)
    assert samples.shape == (len(target), 7, 1)
    print("/* %s: torch %s */" % (name, torch.__version__))
    print("loss %.9g" % loss.item())
    for k, p in enumerate(params):
        print("raw%d {%s} grad {%s}" % (k, ", ".join("%.9gf" % v for v in p.detach().view(-1)),
                                        ", ".join("%.9g" % v for v in p.grad.view(-1))))
    print("target {%s}" % ", ".join("%.9gf" % v for v in target))
