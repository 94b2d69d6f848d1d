# SPDX-License-Identifier: MIT
#
# The test guests (tests/guests/), a fragment of the top-level Makefile:
# each tests/guests/NAME.c becomes build/guests/NAME.elf, a freestanding
# ELF32 image linked at 1 MiB with the guest library in tests/guests/lib/.
# A NAME ending in -mb1 gets the multiboot1 header, every other one the
# multiboot2 header. Expects BUILD, CC, LD and Q from the Makefile.
#
#   make guests                  every guest
#   make build/guests/hello.elf  one guest

GUEST_DIR     := tests/guests
GUEST_LIB_DIR := $(GUEST_DIR)/lib
GUEST_OBJ_DIR := $(BUILD)/guests/obj

# -fno-tree-loop-distribute-patterns: gcc would otherwise turn the loop in
# our own memset() into a call to memset(). -fno-delete-null-pointer-checks:
# address 0 is ordinary guest RAM, and hcabuse passes it on purpose.
GUEST_CFLAGS := -m32 -march=i686 -std=gnu11 -O2 -g \
	-ffreestanding -fno-pic -fno-pie -fno-stack-protector \
	-mno-sse -mno-mmx -fno-asynchronous-unwind-tables \
	-fno-tree-loop-distribute-patterns -fno-delete-null-pointer-checks \
	-Wall -Wextra -Werror -Wmissing-prototypes -Wshadow \
	-iquote $(GUEST_LIB_DIR) -MMD -MP
GUEST_ASFLAGS := -m32 -iquote $(GUEST_LIB_DIR) -MMD -MP
GUEST_LDFLAGS := -m elf_i386 -nostdlib -static -z max-page-size=0x1000 \
	-z noexecstack -T $(GUEST_LIB_DIR)/guest.ld

GUEST_ENTRIES := $(GUEST_LIB_DIR)/mb1_entry.S $(GUEST_LIB_DIR)/mb2_entry.S
GUEST_LIB_SRC := $(sort $(wildcard $(GUEST_LIB_DIR)/*.c) \
	$(filter-out $(GUEST_ENTRIES),$(wildcard $(GUEST_LIB_DIR)/*.S)))
GUEST_LIB_OBJ := $(patsubst $(GUEST_DIR)/%,$(GUEST_OBJ_DIR)/%.o,$(GUEST_LIB_SRC))
GUEST_NAMES   := $(sort $(patsubst $(GUEST_DIR)/%.c,%,$(wildcard $(GUEST_DIR)/*.c)))
GUEST_ELFS    := $(patsubst %,$(BUILD)/guests/%.elf,$(GUEST_NAMES))

$(GUEST_OBJ_DIR)/%.c.o: $(GUEST_DIR)/%.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  GUESTCC $<")
	$(Q)$(CC) $(GUEST_CFLAGS) -c $< -o $@

$(GUEST_OBJ_DIR)/%.S.o: $(GUEST_DIR)/%.S
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  GUESTAS $<")
	$(Q)$(CC) $(GUEST_ASFLAGS) -c $< -o $@

# guest_entry NAME: the object with NAME's multiboot header.
guest_entry = $(GUEST_OBJ_DIR)/lib/$(if $(filter %-mb1,$(1)),mb1,mb2)_entry.S.o

define guest_rule
$(BUILD)/guests/$(1).elf: $(GUEST_OBJ_DIR)/$(1).c.o $(call guest_entry,$(1)) \
		$(GUEST_LIB_OBJ) $(GUEST_LIB_DIR)/guest.ld
	@$$(if $$(Q),echo "  GUESTLD $$@")
	$$(Q)$$(LD) $$(GUEST_LDFLAGS) -o $$@ $(call guest_entry,$(1)) \
		$(GUEST_OBJ_DIR)/$(1).c.o $$(GUEST_LIB_OBJ)
endef
$(foreach g,$(GUEST_NAMES),$(eval $(call guest_rule,$(g))))

.PHONY: guests
guests: $(GUEST_ELFS)
all: $(GUEST_ELFS)

# The Linux test guest (tests/guests/linux/): a bzImage, so not one of the
# ELF guests above. The same library and start.S behind a Linux setup
# header (linux/header.S), linked by linux/linux.ld so that objcopy -O
# binary writes the real-mode part and then the kernel loaded at 1 MiB:
# build/guests/linux-hello.bin (linux-hello.elf keeps the symbols).
LINUX_GUEST_DIR := $(GUEST_DIR)/linux
LINUX_GUEST_OBJ := $(GUEST_OBJ_DIR)/linux/header.S.o \
	$(GUEST_OBJ_DIR)/linux/hello.c.o
LINUX_GUEST_LDFLAGS := -m elf_i386 -nostdlib -static \
	-z max-page-size=0x1000 -z noexecstack -T $(LINUX_GUEST_DIR)/linux.ld

$(BUILD)/guests/linux-hello.elf: $(LINUX_GUEST_OBJ) $(GUEST_LIB_OBJ) \
		$(LINUX_GUEST_DIR)/linux.ld
	@$(if $(Q),echo "  GUESTLD $@")
	$(Q)$(LD) $(LINUX_GUEST_LDFLAGS) -o $@ $(LINUX_GUEST_OBJ) \
		$(GUEST_LIB_OBJ)

$(BUILD)/guests/linux-hello.bin: $(BUILD)/guests/linux-hello.elf
	@$(if $(Q),echo "  OBJCOPY $@")
	$(Q)objcopy -O binary $< $@

guests: $(BUILD)/guests/linux-hello.bin
all: $(BUILD)/guests/linux-hello.bin
