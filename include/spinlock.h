/* SPDX-License-Identifier: MIT */
/*
 * Spinlocks: a ticket lock, so CPUs get the lock in the order they asked for
 * it and no CPU starves. The lock records its owner so that "caller holds X"
 * rules can be checked with spin_assert_held().
 *
 * A spinlock does not disable interrupts by itself; locks also taken from an
 * interrupt handler must use spin_lock_irqsave().
 */
#ifndef SHADE_SPINLOCK_H
#define SHADE_SPINLOCK_H

#include "types.h"

/* The number of the CPU running this code (0 for the boot CPU). */
u32 this_cpu_id(void);

/* Stops Shade with a message; see panic.h. Declared here to keep the
 * assertion below self-contained. */
__noreturn __printf(3, 4) void panic_at(const char *file, int line,
					const char *fmt, ...);

#define SPIN_NO_OWNER 0xffffffffu

typedef struct spinlock {
	u32 next;	  /* next ticket to hand out */
	u32 owner_ticket; /* ticket now being served */
	u32 owner_cpu;	  /* CPU holding it, SPIN_NO_OWNER when free */
	const char *name;
} spinlock_t;

#define SPINLOCK_INIT(n)                                                  \
	{                                                                 \
		.next = 0, .owner_ticket = 0, .owner_cpu = SPIN_NO_OWNER, \
		.name = (n)                                               \
	}

static inline void cpu_relax(void)
{
	__builtin_ia32_pause();
}

static inline void spin_init(spinlock_t *l, const char *name)
{
	l->next = 0;
	l->owner_ticket = 0;
	l->owner_cpu = SPIN_NO_OWNER;
	l->name = name;
}

static inline void spin_lock(spinlock_t *l)
{
	u32 me = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);

	while (__atomic_load_n(&l->owner_ticket, __ATOMIC_ACQUIRE) != me)
		cpu_relax();
	l->owner_cpu = this_cpu_id();
}

static inline void spin_unlock(spinlock_t *l)
{
	l->owner_cpu = SPIN_NO_OWNER;
	__atomic_store_n(&l->owner_ticket, l->owner_ticket + 1,
			 __ATOMIC_RELEASE);
}

/* True if this CPU holds the lock. */
static inline bool spin_is_held(const spinlock_t *l)
{
	return __atomic_load_n(&l->owner_cpu, __ATOMIC_RELAXED) ==
	       this_cpu_id();
}

#define spin_assert_held(l)                                                  \
	do {                                                                 \
		if (!spin_is_held(l))                                        \
			panic_at(__FILE__, __LINE__,                         \
				 "lock %s not held by this CPU", (l)->name); \
	} while (0)

#endif
