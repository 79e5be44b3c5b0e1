# Thin wrapper over CMake: the README's commands.
BUILD ?= build
ASAN_BUILD ?= build-asan
JOBS ?= $(shell nproc)

.PHONY: all setup build run test test-asan test-werror bench compare clean

all: build

setup:
	./scripts/setup.sh

build:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

# weft's main job: two processes exchanging messages over weft.
run: setup build
	./scripts/demo.sh $(BUILD)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-werror:
	cmake -S . -B build-werror -DCMAKE_BUILD_TYPE=Release -DWEFT_WERROR=ON >/dev/null
	cmake --build build-werror -j $(JOBS)

test-asan:
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DWEFT_SANITIZE=ON >/dev/null
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j $(JOBS) -LE nosan

compare: build
	./bench/compare $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-werror
