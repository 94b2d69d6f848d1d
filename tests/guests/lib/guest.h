/* SPDX-License-Identifier: MIT */
/*
 * Everything a test guest includes: the guest library's headers and the
 * one function every guest defines.
 *
 * A guest is a 32-bit protected-mode program loaded at 1 MiB by Shade (or
 * any multiboot loader). start.S calls guest_main() on vCPU 0 with the
 * boot loader's magic and the boot information address, and its return
 * value becomes the partition's exit status: by convention the number of
 * failed checks (report()).
 */
#ifndef GUEST_GUEST_H
#define GUEST_GUEST_H

#include "types.h"
#include "x86.h"
#include "console.h"
#include "check.h"
#include "str.h"
#include "hypercall.h"
#include "trap.h"
#include "bootinfo.h"
#include "platform.h"
#include "vcpu.h"

u32 guest_main(u32 magic, u32 info);

#endif
