/* SPDX-License-Identifier: MIT */
#ifndef SHADE_VERSION_H
#define SHADE_VERSION_H

#define SHADE_VERSION	"0.1.0"
/* The hypercall ABI (contract section 5): HC_VERSION returns
 * (major << 16) | minor. */
#define SHADE_ABI_MAJOR 1
#define SHADE_ABI_MINOR 0

#endif
