/* SPDX-License-Identifier: MIT */
/*
 * Error numbers. Shade's functions return 0 or a negative errno; the values
 * are Linux's, because the hypercall ABI (contract section 5) returns them
 * to guests unchanged.
 */
#ifndef SHADE_ERRNO_H
#define SHADE_ERRNO_H

#define EPERM	  1
#define ENOENT	  2
#define EIO	  5
#define E2BIG	  7
#define ENOMEM	  12
#define EFAULT	  14
#define EBUSY	  16
#define EEXIST	  17
#define ENODEV	  19
#define EINVAL	  22
#define ENOSPC	  28
#define ERANGE	  34
#define ENOSYS	  38
#define ETIMEDOUT 110

#endif
