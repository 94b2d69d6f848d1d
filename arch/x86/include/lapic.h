/* SPDX-License-Identifier: MIT */
/*
 * The local APIC of each physical CPU (arch/x86/lapic.c), in xAPIC mode
 * (memory-mapped registers) or x2APIC mode (MSRs), chosen once at boot
 * for all CPUs. Used for Shade's own IPIs and to start the APs.
 *
 * Context: the functions act on the calling CPU's APIC; call with
 * interrupts off or from code that cannot migrate (Shade never migrates).
 */
#ifndef SHADE_LAPIC_H
#define SHADE_LAPIC_H

#include "types.h"
#include "options.h"

/* Decide the mode (x2APIC if asked or "auto" and the CPU has it) and set
 * up the boot CPU's APIC. Returns the mode chosen. */
enum apic_mode lapic_init_bsp(enum apic_mode want);

/* Set up an AP's APIC in the mode the boot CPU chose. */
void lapic_init_ap(void);

bool lapic_is_ready(void);
const char *lapic_mode_name(void);
u32 lapic_id(void);
void lapic_eoi(void);

/* Fixed-vector IPI to one CPU; returns after the APIC accepted it. */
void lapic_send_ipi(u32 apic_id, u8 vector);
void lapic_send_ipi_all_but_self(u8 vector);

/* The INIT-SIPI-SIPI sequence, one step each (arch/x86/smp.c times it). */
void lapic_send_init(u32 apic_id);
void lapic_send_sipi(u32 apic_id, hpa_t trampoline);

#endif
