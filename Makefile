# ThreePay — the two commands: `make run` (the service on loopback) and `make test` (the whole suite).
SHELL := /bin/bash
.DEFAULT_GOAL := help

.PHONY: help deps build run test stop clean bench soak fuzz test-asan run-cluster test-cluster

help:
	@echo "make run    install missing Debian packages, build, start MariaDB + sandbox + ThreePay + nginx on 127.0.0.1:$${THREEPAY_HTTP_PORT:-8080}"
	@echo "make test   the full test suite (unit and integration, through a real nginx)"
	@echo "make stop   stop a stack left running by 'scripts/stack.sh start'"
	@echo "make run-cluster   like make run, on a 3-node Galera cluster with 2 responders behind nginx"
	@echo "make test-cluster  the cluster tests: a Galera node and a responder killed under load, and more"
	@echo "make bench  ScanCode benchmark (wrk) with the floor measured in the same run; report in bench/results/"
	@echo "make soak   steady ScanCode + pay + notify + query traffic (SOAK_MINUTES, default 10)"
	@echo "make fuzz   libFuzzer targets for the body decoders and Alipay parsers (FUZZ_SECONDS each)"
	@echo "make test-asan  the test suite with AddressSanitizer-built binaries"

deps:
	@scripts/install-deps.sh

build: deps
	swift build -c release --product threepay
	swift build -c release --product threepay-sandbox

run: build
	@THREEPAY_BUILD_CONFIG=release scripts/stack.sh run

test: deps
	@scripts/test.sh

stop:
	@scripts/stack.sh stop

run-cluster: build
	@THREEPAY_CLUSTER_DEPS=1 scripts/install-deps.sh
	@THREEPAY_BUILD_CONFIG=release scripts/cluster.sh run

test-cluster: deps
	@THREEPAY_CLUSTER_DEPS=1 scripts/install-deps.sh
	@scripts/test-cluster.sh

clean:
	rm -rf .build var

bench: deps
	@THREEPAY_BENCH_DEPS=1 scripts/install-deps.sh
	@scripts/bench.sh

soak: deps
	@scripts/soak.sh

fuzz: deps
	@scripts/fuzz.sh

test-asan: deps
	@scripts/test-asan.sh
