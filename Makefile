# Two commands for a newcomer: `make run` and `make test`. See README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help

BIN := .venv/bin
PY := $(BIN)/python
RASA := $(BIN)/rasa
# Rasa and TensorFlow are chatty; keep their logs to what matters.
export TF_CPP_MIN_LOG_LEVEL ?= 2
export PYTHONWARNINGS ?= ignore::DeprecationWarning
# No telemetry: the assistant reports nothing about itself to anyone.
export RASA_TELEMETRY_ENABLED ?= false

.PHONY: help install train run run-simulated simulate chat privacy-eval lint deps-check unit postgres-test cluster cluster-test validate story-test nlu-eval nlu-report e2e test bench bench-load

help:
	@echo "make run    set up (.venv/, Python 3.10), train if needed, start the assistant"
	@echo "make test   lint, unit/action/server tests, data validation, training,"
	@echo "            PostgreSQL and cluster tests, test stories, NLU evaluation,"
	@echo "            end-to-end tests"
	@echo "make chat   talk to the running assistant"
	@echo "make run-simulated, then make simulate: every platform without accounts"
	@echo "make bench  measure latency, throughput, memory and training time"
	@echo "make bench-load  signed webhooks at rising rates: one instance, two workers, the cluster"
	@echo "make nlu-report  the NLU report for trainers: results/nlu/report/index.html"
	@echo "make cluster  two Rasa servers behind nginx on PostgreSQL and Redis (README)"

install:
	@scripts/ensure-venv.sh

train: install
	@$(PY) scripts/train_if_needed.py $(if $(FULL),--full,)

run: train
	@$(PY) scripts/run.py

chat: install
	@$(PY) scripts/chat.py

# The assistant with every platform played by the simulator's fakes (make simulate).
run-simulated: train
	@$(PY) scripts/run.py --simulator

simulate: install
	@$(PY) -m scripts.simulate

lint: install
	@echo "==> Lint"
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

deps-check: install
	@echo "==> Checking that the pinned dependencies are consistent"
	$(PY) -m pip check

unit: install
	@echo "==> Unit, action and server tests"
	$(BIN)/pytest --durations=10 tests/unit tests/actions tests/server

# The data-protection test runs the servers on PostgreSQL, so it needs the model.
postgres-test: train
	@echo "==> The store and the tracker store on a throwaway PostgreSQL"
	scripts/with-postgres.sh $(BIN)/pytest tests/integration

# Rasa's own deployment model on this machine (scripts/cluster.py): two Rasa servers and
# two action servers behind nginx, on one throwaway PostgreSQL and Redis (two outbox
# workers racing for one queue are in postgres-test).
cluster-test: train
	@scripts/ensure-nginx.sh
	@echo "==> The cluster profile: two servers behind nginx, on one PostgreSQL and one Redis"
	scripts/with-postgres.sh scripts/with-redis.sh $(BIN)/pytest tests/cluster

# The cluster profile, started locally on a throwaway PostgreSQL and Redis (gone when it
# stops); nginx listens on CLUSTER_PORT (8080).
cluster: train
	@scripts/ensure-nginx.sh
	scripts/with-postgres.sh scripts/with-redis.sh sh -c \
	  '$(PY) -m scripts.cluster --database-url "$$TEST_POSTGRES_URL" --redis-url "$$TEST_REDIS_URL"'

validate: install
	@echo "==> Validating the training data and domain"
	$(PY) -m bot.trainer check
	$(PY) -m scripts.validate_data

story-test: train
	@echo "==> Test stories"
	$(RASA) test core --stories tests/stories --fail-on-prediction-errors --out results/stories
	@echo "==> Tenants' own words read as the intents they must be (tests/stories/test_understanding.yml)"
	$(RASA) test core --e2e --stories tests/stories/test_understanding.yml --fail-on-prediction-errors --out results/understanding

nlu-eval: train
	@echo "==> NLU evaluation on held-out examples"
	$(RASA) test nlu --nlu tests/nlu/held_out.yml --out results/nlu
	$(PY) -m scripts.check_nlu_report results/nlu/intent_report.json
	@echo "==> Nonsense and off-topic messages: none read as report_emergency, and at least 88 in 100 fall back or go to out_of_scope (the target, at least 95 in 100 and none an emergency, is reported below)"
	$(PY) -m scripts.nlu_report --nonsense

# The report a trainer reads: results/nlu/report/index.html, compared with the committed one.
nlu-report: train
	$(PY) -m scripts.nlu_report

e2e: train
	@scripts/ensure-chromium.sh
	@echo "==> End-to-end tests against the running servers"
	$(BIN)/pytest --durations=10 tests/e2e

test: install lint deps-check unit privacy-eval validate train postgres-test cluster-test story-test nlu-eval e2e
	@echo "==> All tests passed"

bench: train
	$(PY) -m bench.run
	$(PY) -m bench.privacy
	$(PY) -m bench.screening
	$(PY) -m bench.identity_concurrency
	$(PY) -m bench.log_redaction
	$(PY) -m bench.tracker_encryption
	$(PY) -m bench.tracker_writes
	$(PY) -m bench.past_states
	$(PY) -m bench.action_check
	$(PY) -m bench.claims
	$(PY) -m bench.trainer_iteration

# Signed Messenger webhooks at rising rates, to one instance, to one with two Sanic workers
# and to the cluster profile (bench/load.py); the table goes to bench/load.md and the
# README. About fifteen minutes.
bench-load: train
	@scripts/ensure-nginx.sh
	scripts/with-postgres.sh scripts/with-redis.sh $(PY) -m bench.load

privacy-eval: install
	@echo "==> Personal-detail detector on the labelled set"
	$(PY) -m scripts.check_privacy
