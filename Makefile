# Thin wrapper over CMake: the README's commands.
#   make run          set up the machine, build, run the demo (scripts/demo.sh)
#   make test         set up, build, run the whole suite (ctest)
#   make test-werror  build everything with -Werror (build-werror/)
#   make test-asan    build with ASan + UBSan and run the suite (build-asan/)
#   make compare      benchmarks: weft vs Debian's libfabric (bench/compare)
BUILD ?= build
ASAN_BUILD ?= build-asan
WERROR_BUILD ?= build-werror
JOBS ?= $(shell nproc)
# Keep the nested makes that cmake --build runs from printing every directory.
MAKEFLAGS += --no-print-directory

.PHONY: all setup build run test test-asan test-werror test-fuzz bench compare clean

all: build

# Quiet and fast when everything is installed (dpkg check only).
setup:
	./scripts/setup.sh

build:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

# weft's main job: two processes exchanging messages over weft.
run: setup build
	./scripts/demo.sh $(BUILD)

test: setup build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-werror:
	cmake -S . -B $(WERROR_BUILD) -DCMAKE_BUILD_TYPE=Release -DWEFT_WERROR=ON >/dev/null
	cmake --build $(WERROR_BUILD) -j $(JOBS)

# Tests labelled nosan cannot run under the sanitizers and are left out.
# Debian's binaries in tests/compat do run: they get the ASan runtime
# through LD_PRELOAD (scripts/lib.sh).
test-asan:
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DWEFT_SANITIZE=ON >/dev/null
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --output-on-failure -j $(JOBS) -LE nosan

bench: build

# libFuzzer targets (clang), each run for FUZZ_SECONDS over its corpus, one
# after the other: udp_rel (udp's RDM packet decoder) and tcp_stream (tcp's
# receive engine, one connection's byte stream per input).
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= udp_rel tcp_stream
test-fuzz:
	CC=clang cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=Debug -DWEFT_FUZZ=ON \
		-DWEFT_FUZZ_SECONDS=$(FUZZ_SECONDS) >/dev/null
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target $(FUZZ_TARGETS)
	cd $(FUZZ_BUILD) && ctest --output-on-failure -L fuzz

compare: build
	./bench/compare $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(WERROR_BUILD) $(FUZZ_BUILD)
