import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from herolib.flows import Flow, FlowJob, InvalidFlowError, find_cycle


def make_flow(*jobs: FlowJob) -> Flow:
    return Flow(id="f1", name="demo", context="c1", jobs=jobs)


def test_order_puts_dependencies_first_keeping_definition_order():
    flow = make_flow(
        FlowJob("report", "1", depends="left,right"),
        FlowJob("left", "1", depends="load"),
        FlowJob("load", "1"),
        FlowJob("right", "1", depends="load"),
    )
    assert [job.name for job in flow.order()] == ["load", "left", "right", "report"]


def test_cycle_is_rejected_naming_its_jobs():
    with pytest.raises(InvalidFlowError) as caught:
        make_flow(
            FlowJob("a", "1", depends="c"),
            FlowJob("b", "1", depends="a"),
            FlowJob("c", "1", depends="b"),
            FlowJob("d", "1"),
        )
    message = str(caught.value)
    assert "cycle" in message
    assert "a -> b -> c -> a" in message
    assert "d" not in message.split(":")[1].split("(")[0]


def test_self_dependency_is_rejected():
    with pytest.raises(InvalidFlowError, match="a depends on itself"):
        FlowJob("a", "1", depends="a")


def test_unknown_dependency_is_rejected_with_defined_names():
    with pytest.raises(InvalidFlowError) as caught:
        make_flow(FlowJob("a", "1"), FlowJob("b", "1", depends="a,ghost"))
    assert "b depends on unknown job(s) ghost" in str(caught.value)
    assert "defined jobs: a, b" in str(caught.value)


def test_duplicate_job_name_is_rejected():
    with pytest.raises(InvalidFlowError, match="duplicate job name 'a'"):
        make_flow(FlowJob("a", "1"), FlowJob("a", "2"))


def test_empty_flow_is_rejected():
    with pytest.raises(InvalidFlowError, match="no jobs"):
        make_flow()


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"name": "has space"}, "invalid job name"),
        ({"name": ""}, "invalid job name"),
        ({"runner": "perl"}, "unknown runner 'perl'"),
        ({"timeout": 0}, "timeout must be a positive number"),
        ({"timeout": float("nan")}, "timeout must be a positive number"),
        ({"timeout": float("inf")}, "timeout must be a positive number"),
        ({"retries": -1}, "retries must be a whole number"),
        ({"retries": True}, "retries must be a whole number"),
        ({"node": ""}, "node must be a node name"),
    ],
)
def test_job_fields_are_checked(fields, expected):
    base = {"name": "a", "script": "1"}
    with pytest.raises(InvalidFlowError, match=expected):
        FlowJob(**{**base, **fields})


def test_depends_accepts_comma_text_or_sequence():
    assert FlowJob("c", "1", depends=" a, b ,").depends == ("a", "b")
    assert FlowJob("c", "1", depends=["a", "b"]).depends == ("a", "b")


def test_flow_round_trips_through_dict():
    flow = make_flow(
        FlowJob("a", "print(1)", runner="python", timeout=2.5, retries=3, node="n1"),
        FlowJob("b", "input.a", depends="a"),
    )
    assert Flow.from_dict(flow.to_dict()) == flow


def test_flow_limits_reach_every_job_and_round_trip():
    flow = dataclasses.replace(
        make_flow(FlowJob("a", "1"), FlowJob("b", "2")),
        limits={"max_operations": 500},
    )
    assert flow.job("b").limits == {"max_operations": 500}
    assert Flow.from_dict(flow.to_dict()).limits == {"max_operations": 500}


def test_flow_rejects_unknown_limit():
    with pytest.raises(InvalidFlowError, match="unknown limit 'max_speed'"):
        dataclasses.replace(make_flow(FlowJob("a", "1")), limits={"max_speed": 1})


def test_from_dict_rejects_unknown_job_field():
    data = make_flow(FlowJob("a", "1")).to_dict()
    data["jobs"][0]["colour"] = "red"
    with pytest.raises(InvalidFlowError, match="'colour'"):
        Flow.from_dict(data)


def test_step_job_carries_flow_fields():
    flow = make_flow(FlowJob("a", "40 + 2", timeout=3))
    job = flow.job("a")
    assert job.id == "f1:a"
    assert job.flow == "f1"
    assert job.context == "c1"
    assert job.timeout == 3
    assert job.name == "a"


def test_long_chain_is_checked_without_recursion_error():
    jobs = [FlowJob("j0", "0")] + [
        FlowJob(f"j{index}", "1", depends=f"j{index - 1}") for index in range(1, 10_000)
    ]
    flow = make_flow(*jobs)
    assert flow.order()[-1].name == "j9999"


@st.composite
def dags(draw):
    size = draw(st.integers(min_value=1, max_value=12))
    jobs = []
    for index in range(size):
        earlier = [f"j{other}" for other in range(index)]
        depends = (
            draw(st.lists(st.sampled_from(earlier), unique=True)) if earlier else []
        )
        jobs.append(FlowJob(f"j{index}", "1", depends=tuple(depends)))
    order = draw(st.permutations(jobs))
    return list(order)


@given(dags())
def test_order_respects_every_dependency(jobs):
    flow = make_flow(*jobs)
    position = {job.name: index for index, job in enumerate(flow.order())}
    assert len(position) == len(jobs)
    for job in jobs:
        for dependency in job.depends:
            assert position[dependency] < position[job.name]


@given(dags(), st.data())
def test_adding_a_back_edge_makes_a_cycle(jobs, data):
    by_name = {job.name: job for job in jobs}
    chained = [job for job in jobs if job.depends]
    if not chained:
        assert find_cycle(jobs) == []
        return
    job = data.draw(st.sampled_from(chained))
    dependency = by_name[job.depends[0]]
    looped = FlowJob(dependency.name, "1", depends=(*dependency.depends, job.name))
    changed = [looped if other.name == looped.name else other for other in jobs]
    cycle = find_cycle(changed)
    assert cycle[0] == cycle[-1]
    assert job.name in cycle
    with pytest.raises(InvalidFlowError, match="cycle"):
        make_flow(*changed)
