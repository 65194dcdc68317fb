# ThreePay — the two commands: `make run` (the service on loopback) and `make test` (the whole suite).
SHELL := /bin/bash
.DEFAULT_GOAL := help

.PHONY: help deps build run test stop clean

help:
	@echo "make run    install missing Debian packages, build, start MariaDB + sandbox + ThreePay + nginx on 127.0.0.1:$${THREEPAY_HTTP_PORT:-8080}"
	@echo "make test   the full test suite (unit and integration, through a real nginx)"
	@echo "make stop   stop a stack left running by 'scripts/stack.sh start'"

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

clean:
	rm -rf .build var
