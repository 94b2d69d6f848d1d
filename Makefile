# SPDX-License-Identifier: MIT
#
# Shade's one Makefile: out-of-tree objects in build/, quiet lines (V=1 for
# the full commands).
#
#   make              build/shade.elf and build/shade.iso (the default demo)
#   make run          boot the demo: Bochs here, QEMU+KVM where VT-x exists
#   make test         unit tests, format check, integration tests in Bochs
#                     and QEMU; ends with "N passed, M failed"
#   make debug        how to debug Shade (QEMU gdb stub, Bochs debugger)
#   make format       clang-format every C file
#   make bench        time Shade's dirty-log GET in Bochs (bench/bochs/)
#   make bench-native time Shade's dirty-log GET natively (bench/native/)
#   make clean
#
# `make run` and `make test` first install missing tools (tools/install-deps).

BUILD    := build
SHELL    := /bin/bash
CC       := gcc
LD       := ld
Q        := $(if $(V),,@)

# --- the hypervisor --------------------------------------------------------

KERNEL_DIRS := boot arch/x86 mm vmm dirtylog drivers lib
KERNEL_C    := $(sort $(foreach d,$(KERNEL_DIRS),$(wildcard $(d)/*.c)))
KERNEL_S    := $(sort $(foreach d,$(KERNEL_DIRS),$(wildcard $(d)/*.S)))
KERNEL_OBJ  := $(patsubst %,$(BUILD)/kernel/%.o,$(KERNEL_C) $(KERNEL_S))

WARNINGS := -Wall -Wextra -Werror -Wmissing-prototypes -Wshadow
INCLUDES := -iquote include -iquote arch/x86/include -iquote vmm/include \
	-iquote dirtylog/include

KERNEL_CFLAGS := -std=gnu11 -O2 -g $(WARNINGS) $(INCLUDES) \
	-ffreestanding -fno-stack-protector -fno-pic -fno-pie \
	-mno-red-zone -mno-sse -mno-sse2 -mno-mmx -mno-avx -mno-3dnow \
	-mcmodel=small -fno-omit-frame-pointer -fno-asynchronous-unwind-tables \
	-MMD -MP
KERNEL_ASFLAGS := $(INCLUDES) -MMD -MP
KERNEL_LDFLAGS := -nostdlib -static -z max-page-size=0x1000 -z noexecstack \
	--no-warn-rwx-segments -T linker.ld
LIBGCC := $(shell $(CC) -print-libgcc-file-name)

.PHONY: all run test unit debug debug-qemu debug-bochs format format-check \
	clean deps demo-iso FORCE
all: $(BUILD)/shade.elf $(BUILD)/shade.iso

$(BUILD)/kernel/%.c.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(KERNEL_CFLAGS) -c $< -o $@

$(BUILD)/kernel/%.S.o: %.S
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  AS      $<")
	$(Q)$(CC) $(KERNEL_ASFLAGS) -c $< -o $@

# Two links: the first with an empty symbol table, the second with the
# table generated from the first (tools/gen-ksyms). The table sits after
# the text, so code addresses must not move; the last step checks that.
$(BUILD)/ksyms-empty.S: tools/gen-ksyms
	@mkdir -p $(dir $@)
	$(Q)tools/gen-ksyms --empty > $@

$(BUILD)/shade-nosyms.elf: $(KERNEL_OBJ) $(BUILD)/kernel/ksyms-empty.o linker.ld
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(LD) $(KERNEL_LDFLAGS) -o $@ $(KERNEL_OBJ) \
		$(BUILD)/kernel/ksyms-empty.o $(LIBGCC)

$(BUILD)/ksyms.S: $(BUILD)/shade-nosyms.elf tools/gen-ksyms
	$(Q)nm -n $< | tools/gen-ksyms > $@

$(BUILD)/kernel/%.o: $(BUILD)/%.S
	@$(if $(Q),echo "  AS      $<")
	$(Q)$(CC) $(KERNEL_ASFLAGS) -c $< -o $@

$(BUILD)/shade.elf: $(KERNEL_OBJ) $(BUILD)/kernel/ksyms.o linker.ld
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(LD) $(KERNEL_LDFLAGS) -o $@ $(KERNEL_OBJ) \
		$(BUILD)/kernel/ksyms.o $(LIBGCC)
	$(Q)cmp -s <(nm -n $@ | grep ' [Tt] ') \
		<(nm -n $(BUILD)/shade-nosyms.elf | grep ' [Tt] ') || \
		{ echo "ksyms: text moved between the two links"; rm -f $@; exit 1; }

# The demo `make run` boots (tests/guests/demo-*.c): partition `work`
# writes its memory in changing patterns, partition `ctl` logs its dirty
# pages and prints a heat map of them every second. DEMO_SECONDS: how long
# `work` runs, then both stop and Shade powers off (0: until Ctrl-C);
# DEMO_SCENE: the seconds its quiet and picture scenes last, busy twice.
#   make demo-iso DEMO_ISO=X.iso [DEMO_SECONDS=N] [DEMO_SCENE=S]
# writes the same ISO to X.iso and prints the tools/boot options it wants;
# tests/integration/demo.sh boots it so.
DEMO_SECONDS ?= 0
DEMO_SCENE   ?= 4
DEMO_BOOT    := --cpus 2
DEMO_GUESTS  := $(BUILD)/guests/demo-work.elf $(BUILD)/guests/demo-ctl.elf
DEMO_WORK    := name=work mem=32M -- seconds=$(DEMO_SECONDS) scene=$(DEMO_SCENE)
DEMO_CTL     := name=ctl control
demo_mkiso = tools/mkiso $(1) --guest $(BUILD)/guests/demo-work.elf \
	"$(DEMO_WORK)" --guest $(BUILD)/guests/demo-ctl.elf "$(DEMO_CTL)" \
	>/dev/null

# Rewritten when the options change, so that the ISO follows them.
$(BUILD)/demo.opts: FORCE
	@mkdir -p $(@D)
	@echo '$(DEMO_WORK) / $(DEMO_CTL)' | cmp -s - $@ || \
		echo '$(DEMO_WORK) / $(DEMO_CTL)' >$@

$(BUILD)/shade.iso: $(BUILD)/shade.elf $(DEMO_GUESTS) $(BUILD)/demo.opts \
		tools/mkiso
	@$(if $(Q),echo "  MKISO   $@")
	$(Q)$(call demo_mkiso,$@)

demo-iso: $(BUILD)/shade.elf $(DEMO_GUESTS) tools/mkiso
	@[ -n "$(DEMO_ISO)" ] || { echo "usage: make demo-iso DEMO_ISO=X.iso"; exit 2; }
	$(Q)$(call demo_mkiso,$(DEMO_ISO))
	@echo '$(DEMO_BOOT)'

# --- unit tests: pure logic, built for the host with ASan and UBSan -------

UNIT_CFLAGS := -std=gnu11 -g -O1 $(WARNINGS) $(INCLUDES) -iquote tests/unit \
	-fsanitize=address,undefined -fno-sanitize-recover=all \
	-DSHADE_HOST_TEST -MMD -MP
UNIT_SHIM := tests/unit/host_shim.c

# What each test links besides itself and the host shim.
UNIT_DEPS_test_mb2     := boot/mb2.c lib/format.c
UNIT_DEPS_test_mb1     := boot/mb1.c lib/format.c
UNIT_DEPS_test_cmdline := lib/cmdline.c
UNIT_DEPS_test_options := boot/options.c lib/cmdline.c lib/format.c
UNIT_DEPS_test_pmm     := mm/pmm.c
UNIT_DEPS_test_heap    := mm/heap.c
UNIT_DEPS_test_rmap    := vmm/rmap.c
UNIT_DEPS_test_format  := lib/format.c
UNIT_DEPS_test_acpi    := arch/x86/acpi.c lib/format.c
UNIT_DEPS_test_config  := vmm/config.c lib/cmdline.c lib/format.c
UNIT_DEPS_test_loader  := vmm/loader.c vmm/loader_segments.c \
	vmm/loader_linux.c lib/format.c
UNIT_DEPS_test_gpt     := vmm/gpt.c
UNIT_DEPS_test_emulate := vmm/emulate.c
UNIT_DEPS_test_vtime   := vmm/vtime.c
UNIT_DEPS_test_vlegacy := vmm/vpic.c vmm/vpit.c vmm/vrtc.c vmm/vmisc.c \
	vmm/vtime.c
UNIT_DEPS_test_dirty_bitmap := dirtylog/dirty_bitmap.c
UNIT_DEPS_test_bootinfo_build := vmm/bootinfo_build.c vmm/loader.c \
	vmm/loader_segments.c vmm/loader_linux.c vmm/vacpi_tables.c \
	boot/mb2.c boot/mb1.c lib/format.c
UNIT_DEPS_test_linux_boot := $(UNIT_DEPS_test_bootinfo_build)
UNIT_DEPS_test_vacpi   := vmm/vacpi_tables.c arch/x86/acpi.c lib/format.c

UNIT_TESTS := $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/test_*.c))
UNIT_BINS  := $(patsubst %,$(BUILD)/tests/unit/%,$(UNIT_TESTS))

define unit_rule
$(BUILD)/tests/unit/$(1): tests/unit/$(1).c $$(UNIT_DEPS_$(1)) $(UNIT_SHIM)
	@mkdir -p $$(dir $$@)
	@$$(if $$(Q),echo "  HOSTCC  $$@")
	$$(Q)$$(CC) $$(UNIT_CFLAGS) $$^ -lcmocka -o $$@
endef
$(foreach t,$(UNIT_TESTS),$(eval $(call unit_rule,$(t))))

# The dirty bitmap's writers-against-harvester test once more, under
# ThreadSanitizer (which cannot be combined with ASan): a lost-mark race
# that the threads happen not to hit still shows up as a data race.
UNIT_TSAN_CFLAGS := $(filter-out -fsanitize=%,$(UNIT_CFLAGS)) \
	-fsanitize=thread
$(BUILD)/tests/unit/test_dirty_bitmap_tsan: tests/unit/test_dirty_bitmap.c \
		$(UNIT_DEPS_test_dirty_bitmap) $(UNIT_SHIM)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  HOSTCC  $@ (TSan)")
	$(Q)$(CC) $(UNIT_TSAN_CFLAGS) $^ -lcmocka -o $@
UNIT_BINS += $(BUILD)/tests/unit/test_dirty_bitmap_tsan

unit: $(UNIT_BINS)

# --- the native dirty-log benchmark (bench/native/README.md) ---------------
#
# Shade's shadow MMU and dirty log, its real sources, built as a Linux
# program with the hypervisor's code generation where a process allows it;
# bench/native/ holds the harness and the shims. `make bench-native` runs
# the sweep (and the KVM peer where /dev/kvm exists) and writes
# bench/results/native.{csv,txt,png} and native-latency.csv. BENCH_SLOTS:
# slot sizes in MiB; BENCH_REPS: repetitions per point at most (fewer for
# the largest counts).

BENCH_DIR     := bench/native
BENCH_RESULTS := bench/results
BENCH_SLOTS   ?= 64 1024 4096 16384 65536
BENCH_REPS    ?= 11
KVM_PEER      ?= ../shared/peer/kvm-dirty-log-peer.c
BENCH_SHADE_C := vmm/mmu.c vmm/mmu_fault.c vmm/mmu_ptwrite.c vmm/rmap.c \
	vmm/gpt.c vmm/emulate.c vmm/guest_mem.c dirtylog/dirtylog.c \
	dirtylog/dirty_bitmap.c mm/pmm.c lib/format.c
BENCH_HOST_C  := $(sort $(wildcard $(BENCH_DIR)/*.c))
BENCH_SHADE_O := $(patsubst %.c,$(BUILD)/bench/%.o,$(BENCH_SHADE_C))
BENCH_HOST_O  := $(patsubst %.c,$(BUILD)/bench/%.o,$(BENCH_HOST_C))

BENCH_INCLUDES := -include $(BENCH_DIR)/host_hooks.h $(INCLUDES) \
	-iquote $(BENCH_DIR)
BENCH_SHADE_CFLAGS := -std=gnu11 -O2 -g $(WARNINGS) $(BENCH_INCLUDES) \
	-ffreestanding -fno-stack-protector -fno-pic -fno-pie -mno-red-zone \
	-mno-sse -mno-sse2 -mno-mmx -mno-avx -mno-3dnow \
	-fno-omit-frame-pointer -MMD -MP
BENCH_HOST_CFLAGS := -std=gnu11 -O2 -g $(WARNINGS) $(BENCH_INCLUDES) \
	-fno-pie -MMD -MP
# The phases of a GET are timed by wrapping what dirtylog.c calls.
BENCH_LDFLAGS := -no-pie -pthread -Wl,--wrap=dirty_bitmap_harvest \
	-Wl,--wrap=mmu_flush_wp -Wl,--wrap=guest_write

$(BENCH_SHADE_O): $(BUILD)/bench/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  HOSTCC  $@")
	$(Q)$(CC) $(BENCH_SHADE_CFLAGS) -c $< -o $@

$(BENCH_HOST_O): $(BUILD)/bench/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  HOSTCC  $@")
	$(Q)$(CC) $(BENCH_HOST_CFLAGS) -c $< -o $@

$(BUILD)/bench-native: $(BENCH_SHADE_O) $(BENCH_HOST_O)
	@$(if $(Q),echo "  HOSTLD  $@")
	$(Q)$(CC) $(BENCH_LDFLAGS) $^ -o $@

.PHONY: bench-native
bench-native: $(BUILD)/bench-native
	@command -v gnuplot >/dev/null || tools/install-deps || \
		echo "bench-native: no gnuplot, so no plot"
	@$(BENCH_DIR)/run-bench $(BUILD) $(BENCH_RESULTS) "$(KVM_PEER)" \
		$(BENCH_REPS) $(BENCH_SLOTS)

# --- the in-Shade dirty-log benchmark (bench/bochs/README.md) --------------
#
# The bench-dirty guest under Shade under Bochs: one boot per guest size
# and helper-vCPU count, the sweep of dirty counts under every policy in
# each; bench/results/bochs.{csv,txt,png}. Bochs is slow: the defaults
# take about 40 minutes on two CPUs (bench/bochs/README.md has the times).
# BENCH_SIZES: guest RAM in MiB (64-1024); BENCH_HELPERS: helper vCPUs
# (0-3; with helpers Bochs gets 4 CPUs); BENCH_GETS: GETs per point and
# policy at most; BENCH_BUDGET: pages written per point and policy at most.

BENCH_SIZES   ?= 64 256 1024
BENCH_HELPERS ?= 0 2 3
BENCH_GETS    ?= 3
BENCH_BUDGET  ?= 16384

.PHONY: bench
bench: deps $(BUILD)/shade.elf $(BUILD)/guests/bench-dirty.elf
	@bench/bochs/run-bench $(BUILD) $(BENCH_RESULTS) "$(BENCH_SIZES)" \
		"$(BENCH_HELPERS)" $(BENCH_GETS) $(BENCH_BUDGET)

# --- running and testing ---------------------------------------------------

deps:
	@tools/install-deps

# Bochs here; QEMU with KVM where the host really has VT-x. No timeout:
# with DEMO_SECONDS=0 the demo runs until Ctrl-C.
run: deps all
	@echo "Booting Shade with the demo; Ctrl-C ends it (log: $(BUILD)/run.log)"
	@if [ -r /dev/kvm ] && grep -qw vmx /proc/cpuinfo; then \
		tools/boot qemu $(BUILD)/shade.iso $(DEMO_BOOT) --timeout 0 \
			--log $(BUILD)/run.log; \
	else \
		tools/boot bochs $(BUILD)/shade.iso $(DEMO_BOOT) --timeout 0 \
			--log $(BUILD)/run.log; \
	fi

test: deps all unit
	@tests/run $(BUILD)/tests/unit tests/integration

FORMAT_FILES = $(shell git ls-files -co --exclude-standard '*.c' '*.h')

format:
	@clang-format -i $(FORMAT_FILES)

format-check:
	@clang-format --dry-run -Werror $(FORMAT_FILES)

debug:
	@echo "Debugging Shade:"
	@echo "  make debug-qemu   QEMU (no VT-x) waits for gdb on :1234; then:"
	@echo "                    gdb $(BUILD)/shade.elf -ex 'target remote :1234'"
	@echo "                    Good for everything before the VMX layer."
	@echo "  make debug-bochs  Bochs's own debugger, with VT-x: 'c' runs,"
	@echo "                    Ctrl-C stops, 'vmexitbp' breaks on VM entry/exit,"
	@echo "                    'r' / 'sreg' / 'x /4gx ADDR' inspect."
	@echo "  A panic or exception prints a backtrace; resolve it with"
	@echo "                    addr2line -e $(BUILD)/shade.elf ADDRESS"

debug-qemu: all
	qemu-system-x86_64 -cdrom $(BUILD)/shade.iso -m 512 -smp 2 \
		-display none -serial stdio -no-reboot -s -S \
		-device isa-debug-exit,iobase=0xf4,iosize=4

debug-bochs: all
	tools/boot bochs $(BUILD)/shade.iso --cpus 1 --interactive

clean:
	rm -rf $(BUILD)

include tests/guests/guests.mk

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
