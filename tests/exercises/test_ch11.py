"""Chapter 11's exercises: the solutions pass their checks, wrong answers and the stubs do not."""

from course import ch11
from solutions import ch11 as solution


def test_the_solutions_pass(capsys):
    assert ch11.check_gpt2_name(solution.gpt2_name)
    assert ch11.check_split_qkv(solution.split_qkv)
    assert capsys.readouterr().out.count("[✓]") == 2


def scale_is_scale(path):
    """Keeps the LayerNorm's "scale": PyTorch calls it "weight"."""
    name = solution.gpt2_name(path)
    return name[: -len("weight")] + "scale" if path[-1] == "scale" else name


def swapped_projections(path):
    """Maps attn/out to the MLP's c_proj and fc2 to the attention's."""
    name = solution.gpt2_name(path)
    if path[:1] == ("blocks",) and path[2:4] == ("attn", "out"):
        return name.replace("attn.c_proj", "mlp.c_proj")
    if path[:1] == ("blocks",) and path[2] == "fc2":
        return name.replace("mlp.c_proj", "attn.c_proj")
    return name


def test_wrong_name_maps_fail(capsys):
    assert not ch11.check_gpt2_name(scale_is_scale)
    assert not ch11.check_gpt2_name(swapped_projections)
    assert capsys.readouterr().out.count("not yet right") == 2


def not_transposed(kernel, bias):
    return {name: (x.T if name.endswith("weight") else x) for name, x in solution.split_qkv(kernel, bias).items()}


def interleaved(kernel, bias):
    """Takes every third column for q, k, v: the right shapes, but the kernel's columns are [q | k | v]."""
    C = kernel.shape[0]
    out = {}
    for k, part in enumerate(("query", "key", "value")):
        out[f"{part}.weight"] = kernel[:, k::3].T  # interleaved columns, not [q | k | v]
        out[f"{part}.bias"] = bias[k * C : (k + 1) * C]
    return out


def one_bias_for_all(kernel, bias):
    """The weights right, but q's bias given to k and v too."""
    out = solution.split_qkv(kernel, bias)
    return out | {"key.bias": out["query.bias"], "value.bias": out["query.bias"]}


def test_wrong_splits_fail(capsys):
    assert not ch11.check_split_qkv(not_transposed)
    assert not ch11.check_split_qkv(interleaved)
    assert not ch11.check_split_qkv(one_bias_for_all)
    assert capsys.readouterr().out.count("not yet right") == 3


def test_the_stubs_are_not_done(capsys):
    def stub(*args):
        raise NotImplementedError

    assert not ch11.check_gpt2_name(stub)
    assert not ch11.check_split_qkv(stub)
    assert capsys.readouterr().out.count("not done yet") == 2
