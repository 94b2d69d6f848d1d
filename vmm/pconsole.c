// SPDX-License-Identifier: MIT
/*
 * Partition consoles: bytes a guest writes to its UART or to port 0xe9
 * are gathered into lines and printed whole as "[name] text" (contract
 * section 4), so that partitions never interleave inside a line. A line
 * longer than the buffer is printed in pieces; carriage returns are
 * dropped; other control characters are shown as '?'.
 *
 * Context: the vCPU's physical CPU, in a VM-exit handler. p->console_lock
 * serializes the partition's vCPUs; the console lock is taken inside it.
 */
#include "vmm.h"
#include "console.h"
#include "format.h"

/* Print the pending line, if any. Caller holds p->console_lock. */
static void flush_locked(struct partition *p)
{
	char out[PCONSOLE_LINE_MAX + PARTITION_NAME_MAX + 4];
	int n;

	spin_assert_held(&p->console_lock);
	if (!p->line_len)
		return;
	n = ksnprintf(out, sizeof(out), "[%s] %.*s", p->cfg.name,
		      (int)p->line_len, p->line);
	console_write_line(out, MIN((u32)n, sizeof(out) - 1));
	p->line_len = 0;
}

void pconsole_flush(struct partition *p)
{
	spin_lock(&p->console_lock);
	flush_locked(p);
	spin_unlock(&p->console_lock);
}

/* Append and, when the line is full, print it in the same hold of the
 * lock: another vCPU of the partition must never see a full buffer. */
void pconsole_putc(struct partition *p, char c)
{
	if (c == '\r')
		return;
	if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f)
		c = '?';
	spin_lock(&p->console_lock);
	if (c == '\n') {
		flush_locked(p);
	} else {
		p->line[p->line_len++] = c;
		if (p->line_len == PCONSOLE_LINE_MAX)
			flush_locked(p);
	}
	spin_unlock(&p->console_lock);
}
