"""A model HiGHS cannot solve reliably is refused before HiGHS sees it, naming the family, the
entry and the fields; every early stop still carries a bound."""

from __future__ import annotations

import numpy as np
import pytest
from test_partition_exact import dev, instance

import ecoopt
from ecoopt.cli import main
from ecoopt.conditioning import IllConditioned, check_conditioning
from ecoopt.gpushare.generate import generate
from ecoopt.lp import LinearProgram
from ecoopt.problems import get_spec


def tiny_lp(coef: float, cost: float = 1.0, upper: float = 1.0) -> LinearProgram:
    lp = LinearProgram("t")
    lp.add_vars("x", ["a", "b"], upper=upper, integer=True, cost=np.array([cost, 1.0]))
    lp.add_rows(
        "memory_fit",
        ["d0"],
        rows=np.array([0, 0]),
        cols=np.array([0, 1]),
        vals=np.array([coef, 1.0]),
        lower=np.array([-np.inf]),
        upper=np.array([1.0]),
    )
    return lp


def test_a_sane_model_passes():
    check_conditioning(tiny_lp(0.5), 1.0, get_spec("partition"))


@pytest.mark.parametrize(
    "lp, text",
    [
        (tiny_lp(1e12), "constraint memory_fit[d0] has coefficient 1e+12 on x[a]"),
        (tiny_lp(np.nan), "constraint memory_fit[d0] has coefficient nan on x[a]"),
        (tiny_lp(0.5, cost=1e20), "variable x[a] costs 1e+20"),
        (tiny_lp(0.5, upper=1e18), "variable x[a] has upper bound 1e+18"),
    ],
)
def test_ill_conditioned_models_name_the_entry_and_the_fields(lp, text):
    with pytest.raises(IllConditioned, match="ill-conditioned") as info:
        check_conditioning(lp, 1.0, get_spec("partition"), "f.yaml")
    msg = str(info.value)
    assert msg.startswith("f.yaml: ") and text in msg
    if "memory_fit" in text:
        assert "param_bytes and devices[*].memory_bytes" in msg


def test_an_instance_within_every_range_can_still_be_refused(tmp_path):
    """Each field is plausible, but a 1e18-FLOP layer on a 1 FLOP/s device under a 1e6 s SLO
    puts 1e12 in the SLO row: refused with the fields named, exit 2, one line."""
    layers = [("A", ["x"], 1e18, 1e3, 1e3)]
    devs = [dev("d0", 1e18, 10, 1e9, 100), dev("slow", 1.0, 10, 1e9, 100)]
    link = [{"a": "d0", "b": "slow", "bandwidth_bytes_per_s": 1e9}]
    inst = instance(tmp_path, layers, devs, link, slo=1e6)
    with pytest.raises(IllConditioned, match=r"latency_slo\[.*\] has coefficient 1e\+12 on pl"):
        ecoopt.solve(inst, "latency")


def test_cli_exit_2_on_ill_conditioned(tmp_path, capsys):
    layers = [("A", ["x"], 1e18, 1e3, 1e3)]
    devs = [dev("d0", 1e18, 10, 1e9, 100), dev("slow", 1.0, 10, 1e9, 100)]
    link = [{"a": "d0", "b": "slow", "bandwidth_bytes_per_s": 1e9}]
    inst = instance(tmp_path, layers, devs, link, slo=1e6)
    path = tmp_path / "big.yaml"
    ecoopt.dump(inst, path)
    assert main(["solve", str(path), "--objective", "latency"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "ill-conditioned" in err[0] and "latency_slo_s" in err[0]


def test_an_early_stop_without_incumbent_still_has_a_bound():
    inst = generate(30, 3, seed=1)
    res = ecoopt.solve(inst, time_limit=0, warm_start=False)
    assert res.solution_status == "none" and res.bound is not None
    ref = ecoopt.solve(inst)
    assert res.bound <= ref.objective * (1 + 1e-9)
