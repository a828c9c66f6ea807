"""A trainer adds examples, retrains, and the running assistant answers with the new
model without a restart; the retraining restores the dialogue policies from Rasa's
training cache instead of training them again (an NLU-only change)."""

from bench.trainer_iteration import QUESTION, measure


def test_an_nlu_only_change_is_answered_by_the_new_model_with_the_policies_from_the_cache(
    tmp_path,
):
    # measure() adds 20 examples with the trainer's tool, runs `rasa train` as `make
    # train` does, loads the model into the running assistant with PUT /model, checks
    # that the server now runs that model, and raises unless QUESTION is answered with
    # the intent's response.
    result = measure(tmp_path)
    assert {"MemoizationPolicy", "RulePolicy"} <= set(result.restored), result
    assert not {"MemoizationPolicy", "RulePolicy"} & set(result.trained), result
    assert "DIETClassifier" in result.trained, f"{QUESTION!r}: {result}"
