# Thin wrapper: `make demo` and `make test` install what is missing, configure, build, and run.
BUILD ?= build
SAN_BUILD ?= build-asan
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo

FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60

.PHONY: all deps test-deps build demo test test-sanitize bench fuzz clean

all: build

deps:
	@./scripts/install-deps.sh

# The suite also renders the report in a real browser (tests/cli/test_report_browser.sh).
test-deps:
	@./scripts/install-deps.sh chromium python3-openpyxl

build: deps
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

# The notice comes first: on a fresh machine the build before the demo takes minutes.
demo:
	@echo "make demo: builds claimreg (installing missing packages first), then imports examples/registrations.csv into a new registry and shows what an admin would look at; this takes 2-3 minutes on a fresh machine, seconds once built."
	@$(MAKE) --no-print-directory build
	@./scripts/demo.sh $(BUILD)

test: test-deps build
	@ctest --test-dir $(BUILD) --output-on-failure -j$(JOBS)

test-sanitize: test-deps
	@cmake -S . -B $(SAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCLAIMREG_SANITIZE=ON >/dev/null
	@cmake --build $(SAN_BUILD) -j$(JOBS)
	@ctest --test-dir $(SAN_BUILD) --output-on-failure -j$(JOBS)

bench: build
	@cmake --build $(BUILD) -j$(JOBS) --target xlsx_baseline json_values
	@./bench/run.sh $(BUILD)

fuzz: deps
	@./scripts/install-deps.sh clang libclang-rt-14-dev
	@cmake -S . -B $(FUZZ_BUILD) -DCMAKE_CXX_COMPILER=clang++ -DCLAIMREG_FUZZ=ON \
		-DCLAIMREG_BUILD_TESTS=OFF -DCLAIMREG_BUILD_BENCH=OFF >/dev/null
	@cmake --build $(FUZZ_BUILD) -j$(JOBS) --target fuzz_import
	@mkdir -p $(FUZZ_BUILD)/corpus && cp fuzz/corpus/* $(FUZZ_BUILD)/corpus/
	@cd $(FUZZ_BUILD) && ./fuzz/fuzz_import -max_total_time=$(FUZZ_SECONDS) -max_len=8192 \
		-timeout=10 -rss_limit_mb=1024 -print_final_stats=1 corpus

clean:
	rm -rf $(BUILD) $(SAN_BUILD) $(FUZZ_BUILD)
