"""The behaviour model on its own: answers reproduce the targets, draws are seeded, effects are linear."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from experiments.behaviour import BehaviourParams, SimulatedParticipant, answer_scale, integer_answers
from experiments.definition import EXPERIMENTS_DIR, load_study
from webapp.domain.scoring import ScoredItem, scale_mean

DEMO = load_study(EXPERIMENTS_DIR / "demo.toml")
THINKING = DEMO.thinking_style
EVALUATION = DEMO.evaluation


def server_score(answers, block):
    """What the server stores: the same scoring function the journey uses."""
    items = [ScoredItem(i.key, i.reverse, i.attention) for i in block.items]
    return scale_mean(answers, items, block.scale.min, block.scale.max)


@pytest.mark.parametrize("target", [1.0, 1.3, 2.5, 3.0625, 3.99, 4.0, 4.2, 5.55, 6.9, 7.0])
def test_thinking_style_answers_score_to_the_target_on_the_grid(target):
    person = SimulatedParticipant(BehaviourParams(), seed=1, index=0)
    person.holism_target = target
    answers = person.thinking_style(THINKING.items, THINKING.scale.min, THINKING.scale.max)
    k = len(THINKING.scored_items)
    assert set(answers) == {i.key for i in THINKING.items}
    assert all(isinstance(v, int) and 1 <= v <= 7 for v in answers.values())
    assert server_score(answers, THINKING) == pytest.approx(person.holism)
    assert abs(person.holism - target) <= 1 / (2 * k) + 1e-12
    assert answers["ts_attention"] == 2  # the instructed answer


def test_reverse_coded_items_are_mirrored():
    person = SimulatedParticipant(replace(BehaviourParams(), item_spread=0.0), seed=3, index=0)
    person.holism_target = 6.0
    answers = person.thinking_style(THINKING.items)
    for item in THINKING.scored_items:
        assert answers[item.key] == (2 if item.reverse else 6)


def test_inattentive_participants_miss_the_instructed_answer():
    params = BehaviourParams(attention_fail_rate=1.0)
    person = SimulatedParticipant(params, seed=1, index=0)
    assert not person.attentive
    answers = person.thinking_style(THINKING.items)
    assert answers["ts_attention"] != 2
    assert person.choice_answer(["Blue", "Orange"], "Orange") == "Blue"
    attentive = SimulatedParticipant(BehaviourParams(), seed=1, index=0)
    assert attentive.choice_answer(["Blue", "Orange"], "Orange") == "Orange"


@pytest.mark.parametrize("seed", range(20))
def test_integer_answers_keep_their_sum_with_spread(seed):
    rng = np.random.default_rng(seed)
    target = float(rng.uniform(1, 7))
    values = integer_answers(target, 8, 1, 7, rng, spread=3.0)
    assert all(1 <= v <= 7 for v in values)
    assert sum(values) == int(np.floor(target * 8 + 0.5))


def test_answer_scale_clips_targets_to_the_scale():
    items = [ScoredItem("a"), ScoredItem("b", reverse=True)]
    answers, mean = answer_scale(9.0, items, 1, 7, np.random.default_rng(0))
    assert answers == {"a": 7, "b": 1} and mean == 7.0
    answers, mean = answer_scale(-2.0, items, 1, 7, np.random.default_rng(0))
    assert answers == {"a": 1, "b": 7} and mean == 1.0


def test_evaluation_answers_score_to_the_latent_value():
    params = BehaviourParams()
    for index in range(50):
        person = SimulatedParticipant(params, seed=11, index=index)
        person.thinking_style(THINKING.items)
        person.decide(3, public=index % 2 == 0)
        person.closeness_answers(["ios_a", "ios_b", "ios_c"], "friend")
        answers = person.evaluation_answers(EVALUATION.items)
        assert set(answers) == {i.key for i in EVALUATION.items}
        assert server_score(answers, EVALUATION) == pytest.approx(person.evaluation)
        assert abs(person.evaluation - person.evaluation_latent) <= 0.1 + 1e-12
        assert params.eval_min <= person.evaluation_latent <= params.eval_max
        low, high = DEMO.wtp.min, DEMO.wtp.max
        assert low <= person.wtp(low, high) <= high


def test_closeness_is_higher_for_friends_and_answers_average_to_it():
    params = BehaviourParams()
    friend = [SimulatedParticipant(params, 5, i) for i in range(300)]
    stranger = [SimulatedParticipant(params, 5, i) for i in range(300)]
    keys = ["ios_a", "ios_b"]
    for f, s in zip(friend, stranger):
        answers = f.closeness_answers(keys, "friend")
        assert sum(answers.values()) / 2 == f.closeness
        s.closeness_answers(keys, "stranger")
    assert np.mean([p.closeness for p in friend]) - np.mean([p.closeness for p in stranger]) > 1.5


def test_same_seed_and_index_reproduce_the_person():
    def walk(params, seed, index):
        person = SimulatedParticipant(params, seed, index)
        ts = person.thinking_style(THINKING.items)
        edits = person.design_changes({"collar": ["a", "b", "c"], "cuffs": ["x", "y"]}, {"collar": "a", "cuffs": "x"},
                                      mean_edits=3)
        decisions = person.decide(3, public=True)
        closeness = person.closeness_answers(["ios_a"], "friend")
        evaluation = person.evaluation_answers(EVALUATION.items)
        return ts, edits, decisions, closeness, evaluation, person.wtp()

    params = BehaviourParams()
    assert walk(params, 42, 7) == walk(params, 42, 7)
    assert walk(params, 42, 7) != walk(params, 42, 8)
    assert walk(params, 42, 7) != walk(params, 43, 7)


def test_changing_an_effect_keeps_every_other_draw():
    """Common random numbers: h1 = 0 versus h1 > 0 differ only through p."""
    planted = BehaviourParams(h1=0.15, h2=0.6)
    null = replace(planted, h1=0.0, h2=0.0)
    for index in range(30):
        a, b = SimulatedParticipant(planted, 9, index), SimulatedParticipant(null, 9, index)
        assert a.thinking_style(THINKING.items) == b.thinking_style(THINKING.items)
        assert a.holism_target == b.holism_target and a.attentive == b.attentive
        if a.adoption_probability(False) == b.adoption_probability(False):
            assert a.decide(3, False) == b.decide(3, False)


def test_design_changes_differ_from_the_current_level_and_respect_exclusions():
    person = SimulatedParticipant(BehaviourParams(design_edits=5), 1, 0)
    levels = {"collar": ["a", "b", "c"], "cuffs": ["x", "y"], "pocket": ["p"]}
    state = {"collar": "a", "cuffs": "x", "pocket": "p"}
    for attribute, level in person.design_changes(levels, state, mean_edits=6, exclude=["cuffs"]):
        assert attribute == "collar" and level != state[attribute]
        state[attribute] = level


def test_adoption_probability_is_the_planted_linear_model():
    params = BehaviourParams(adopt_base=0.4, adopt_public=0.1, adopt_holism=-0.05, h1=0.1)
    for h in (1.0, 2.5, 4.0, 6.0, 7.0):
        difference = params.adoption_probability(True, h) - params.adoption_probability(False, h)
        assert difference - (0.1 + 0.1 * (h - 4)) == pytest.approx(0.0, abs=1e-12)
    assert params.adoption_probability(True, 7) > params.adoption_probability(True, 1)  # rises in public
    assert params.adoption_probability(False, 7) < params.adoption_probability(False, 1)  # falls in private
    extreme = BehaviourParams(h1=1.0)
    assert extreme.adoption_probability(True, 7.0) == 0.98
    assert extreme.adoption_probability(True, 1.0) == 0.02


def test_default_parameters_never_hit_the_clips():
    params = BehaviourParams()
    low, high = params.adoption_range()
    assert 0.02 < low < high < 0.98
    latent = [params.evaluation_mean(c, k) for c in (0.0, 1.0) for k in (1.0, 7.0)]
    assert params.eval_min < min(latent) and max(latent) < params.eval_max


def test_invalid_parameters_are_refused():
    with pytest.raises(ValueError, match="attention_fail_rate"):
        BehaviourParams(attention_fail_rate=1.5)
    with pytest.raises(ValueError, match="standard deviations"):
        BehaviourParams(holism_sd=-1)


def ols_interaction(x, z, y):
    design = np.column_stack([np.ones_like(x), x, z, x * z])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    resid = y - design @ coef
    cov = np.linalg.inv(design.T @ design) * (resid @ resid) / (len(y) - 4)
    return coef[3], float(np.sqrt(cov[3, 3]))


def test_the_planted_values_are_the_ols_interaction_coefficients():
    """Without any server: the model's own data recover h1 and h2 (uncentred OLS, as the analysis fits)."""
    params = BehaviourParams(h1=0.15, adopt_holism=-0.075, h2=0.6)
    rows = []
    for index in range(3000):
        person = SimulatedParticipant(params, 2024, index)
        person.thinking_style(THINKING.items)
        public = index % 2
        person.decide(3, bool(public))
        person.closeness_answers(["ios_a", "ios_b", "ios_c"], "friend")
        person.evaluation_answers(EVALUATION.items)
        rows.append((public, person.holism, person.conformity, person.closeness, person.evaluation))
    public, holism, conformity, closeness, evaluation = np.array(rows, dtype=float).T
    b1, se1 = ols_interaction(public, holism, conformity)
    b2, se2 = ols_interaction(conformity, closeness, evaluation)
    assert abs(b1 - 0.15) < 3 * se1 and se1 < 0.02
    assert abs(b2 - 0.6) < 3 * se2 and se2 < 0.08
