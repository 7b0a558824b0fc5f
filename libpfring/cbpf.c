/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A small classic BPF -> eBPF translator for one case: an AF_PACKET socket
 * that needs both a libpcap filter and the eBPF rules filter. A socket holds
 * a single filter, so the classic program is translated and each non-zero
 * return tail-calls the rules program (filter.bpf.c, prog array slot 0).
 *
 * Registers: A = r0, X = r7, r6 = the skb (eBPF's LD_ABS/LD_IND need it
 * there), r8 saves A around LDX MSH, M[0..15] are 32-bit words on the stack
 * at fp-64..fp-4. eBPF's LD_ABS/LD_IND keep the classic semantics: they load
 * relative to skb->data, convert from network order and end the program
 * with 0 when the load is out of bounds. A and X are 32 bits wide, so every
 * ALU operation and comparison uses the 32-bit forms.
 *
 * Two passes: the first counts the eBPF instructions of each classic one,
 * so that the second can turn classic jump offsets into eBPF ones.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <linux/filter.h>

#include "pfring_ebpf.h"

#define R_A	   BPF_REG_0
#define R_X	   BPF_REG_7
#define R_CTX	   BPF_REG_6
#define R_SAVE	   BPF_REG_8
#define MEM_OFF(k) ((__s16)(-4 * (BPF_MEMWORDS - (int)(k))))

struct xlat {
	const struct sock_filter *in;
	unsigned int len;
	unsigned int *start;  /* eBPF index of each classic instruction */
	struct bpf_insn *out; /* NULL in the counting pass */
	unsigned int n;
	int chain_fd; /* prog array for RET, -1: plain returns */
	char *err;
	size_t errlen;
};

static int xlat_error(struct xlat *x, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int xlat_error(struct xlat *x, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(x->err, x->errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static void emit(struct xlat *x, __u8 code, __u8 dst, __u8 src, __s16 off,
		 __s32 imm)
{
	if (x->out) {
		struct bpf_insn *i = &x->out[x->n];

		memset(i, 0, sizeof(*i));
		i->code = code;
		i->dst_reg = dst;
		i->src_reg = src;
		i->off = off;
		i->imm = imm;
	}
	x->n++;
}

/* Offset of a jump emitted now to classic instruction @target. */
static __s16 jump_to(struct xlat *x, unsigned int target)
{
	if (!x->out)
		return 0;
	return (__s16)(x->start[target] - (x->n + 1));
}

static void emit_mov32_imm(struct xlat *x, __u8 dst, __s32 imm)
{
	emit(x, BPF_ALU | BPF_MOV | BPF_K, dst, 0, 0, imm);
}

static void emit_exit(struct xlat *x)
{
	emit(x, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

/* skb->len, the classic BPF_LEN. */
static void emit_load_len(struct xlat *x, __u8 dst)
{
	emit(x, BPF_LDX | BPF_MEM | BPF_W, dst, R_CTX,
	     offsetof(struct __sk_buff, len), 0);
}

/* Hand the packet to the rules program; drop it if the call fails. */
static void emit_tail_call(struct xlat *x)
{
	emit(x, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, R_CTX, 0, 0);
	emit(x, BPF_LD | BPF_DW | BPF_IMM, BPF_REG_2, BPF_PSEUDO_MAP_FD, 0,
	     x->chain_fd);
	emit(x, 0, 0, 0, 0, 0);
	emit(x, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_3, 0, 0,
	     PFR_BPF_CHAIN_SLOT);
	emit(x, BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_tail_call);
	emit_mov32_imm(x, R_A, 0);
	emit_exit(x);
}

static void emit_prologue(struct xlat *x)
{
	int i;

	emit(x, BPF_ALU64 | BPF_MOV | BPF_X, R_CTX, BPF_REG_1, 0, 0);
	emit_mov32_imm(x, R_A, 0);
	emit_mov32_imm(x, R_X, 0);
	/* The verifier refuses reads of unwritten stack: zero M[]. */
	for (i = 1; i <= BPF_MEMWORDS / 2; i++)
		emit(x, BPF_ST | BPF_MEM | BPF_DW, BPF_REG_10, 0,
		     (__s16)(-8 * i), 0);
}

static int xlat_ld(struct xlat *x, const struct sock_filter *f)
{
	__u8 size = BPF_SIZE(f->code);

	switch (BPF_MODE(f->code)) {
	case BPF_ABS:
		if ((__s32)f->k < 0)
			return xlat_error(x,
					  "classic BPF ancillary load "
					  "(offset %d) is not supported",
					  (int)f->k);
		emit(x, BPF_LD | BPF_ABS | size, 0, 0, 0, (__s32)f->k);
		return 0;
	case BPF_IND:
		emit(x, BPF_LD | BPF_IND | size, 0, R_X, 0, (__s32)f->k);
		return 0;
	case BPF_LEN:
		emit_load_len(x, R_A);
		return 0;
	case BPF_IMM:
		emit_mov32_imm(x, R_A, (__s32)f->k);
		return 0;
	case BPF_MEM:
		if (f->k >= BPF_MEMWORDS)
			break;
		emit(x, BPF_LDX | BPF_MEM | BPF_W, R_A, BPF_REG_10,
		     MEM_OFF(f->k), 0);
		return 0;
	}
	return xlat_error(x, "bad classic BPF load 0x%04x", f->code);
}

static int xlat_ldx(struct xlat *x, const struct sock_filter *f)
{
	switch (BPF_MODE(f->code)) {
	case BPF_IMM:
		emit_mov32_imm(x, R_X, (__s32)f->k);
		return 0;
	case BPF_LEN:
		emit_load_len(x, R_X);
		return 0;
	case BPF_MEM:
		if (f->k >= BPF_MEMWORDS)
			break;
		emit(x, BPF_LDX | BPF_MEM | BPF_W, R_X, BPF_REG_10,
		     MEM_OFF(f->k), 0);
		return 0;
	case BPF_MSH: /* X = 4 * (P[k] & 0xf), e.g. the IPv4 header length */
		if ((__s32)f->k < 0)
			break;
		emit(x, BPF_ALU64 | BPF_MOV | BPF_X, R_SAVE, R_A, 0, 0);
		emit(x, BPF_LD | BPF_ABS | BPF_B, 0, 0, 0, (__s32)f->k);
		emit(x, BPF_ALU | BPF_AND | BPF_K, R_A, 0, 0, 0xf);
		emit(x, BPF_ALU | BPF_LSH | BPF_K, R_A, 0, 0, 2);
		emit(x, BPF_ALU | BPF_MOV | BPF_X, R_X, R_A, 0, 0);
		emit(x, BPF_ALU64 | BPF_MOV | BPF_X, R_A, R_SAVE, 0, 0);
		return 0;
	}
	return xlat_error(x, "bad classic BPF load into X 0x%04x", f->code);
}

static int xlat_store(struct xlat *x, const struct sock_filter *f, __u8 src)
{
	if (f->k >= BPF_MEMWORDS)
		return xlat_error(x, "classic BPF store to M[%u]", f->k);
	emit(x, BPF_STX | BPF_MEM | BPF_W, BPF_REG_10, src, MEM_OFF(f->k), 0);
	return 0;
}

/* Division or modulo by X: classic BPF ends the program with 0 if X is 0. */
static void emit_div_x(struct xlat *x, __u8 op)
{
	emit(x, BPF_JMP32 | BPF_JNE | BPF_K, R_X, 0, 2, 0);
	emit_mov32_imm(x, R_A, 0);
	emit_exit(x);
	emit(x, BPF_ALU | op | BPF_X, R_A, R_X, 0, 0);
}

/* Shift by X: libpcap's bpf_filter() gives 0 for counts of 32 or more. */
static void emit_shift_x(struct xlat *x, __u8 op)
{
	emit(x, BPF_JMP32 | BPF_JLT | BPF_K, R_X, 0, 2, 32);
	emit_mov32_imm(x, R_A, 0);
	emit(x, BPF_JMP | BPF_JA, 0, 0, 1, 0);
	emit(x, BPF_ALU | op | BPF_X, R_A, R_X, 0, 0);
}

static int xlat_alu(struct xlat *x, const struct sock_filter *f)
{
	__u8 op = BPF_OP(f->code);

	if (op == BPF_NEG) {
		emit(x, BPF_ALU | BPF_NEG, R_A, 0, 0, 0);
		return 0;
	}
	switch (op) {
	case BPF_ADD:
	case BPF_SUB:
	case BPF_MUL:
	case BPF_OR:
	case BPF_AND:
	case BPF_XOR:
	case BPF_LSH:
	case BPF_RSH:
	case BPF_DIV:
	case BPF_MOD:
		break;
	default:
		return xlat_error(x, "bad classic BPF ALU op 0x%04x", f->code);
	}
	if (BPF_SRC(f->code) == BPF_K) {
		if ((op == BPF_DIV || op == BPF_MOD) && f->k == 0)
			return xlat_error(x, "classic BPF division by zero");
		if ((op == BPF_LSH || op == BPF_RSH) && f->k >= 32)
			return xlat_error(x, "classic BPF shift by %u", f->k);
		emit(x, BPF_ALU | op | BPF_K, R_A, 0, 0, (__s32)f->k);
	} else if (op == BPF_DIV || op == BPF_MOD) {
		emit_div_x(x, op);
	} else if (op == BPF_LSH || op == BPF_RSH) {
		emit_shift_x(x, op);
	} else {
		emit(x, BPF_ALU | op | BPF_X, R_A, R_X, 0, 0);
	}
	return 0;
}

static int xlat_jmp(struct xlat *x, const struct sock_filter *f,
		    unsigned int pc)
{
	__u8 op = BPF_OP(f->code);
	unsigned int jt = pc + 1 + f->jt, jf = pc + 1 + f->jf;

	if (op == BPF_JA) {
		if (f->k >= x->len - pc - 1)
			return xlat_error(x, "classic BPF jump out of range");
		emit(x, BPF_JMP | BPF_JA, 0, 0, jump_to(x, pc + 1 + f->k), 0);
		return 0;
	}
	if (op != BPF_JEQ && op != BPF_JGT && op != BPF_JGE && op != BPF_JSET)
		return xlat_error(x, "bad classic BPF jump 0x%04x", f->code);
	if (jt >= x->len || jf >= x->len)
		return xlat_error(x, "classic BPF jump out of range");
	if (BPF_SRC(f->code) == BPF_K)
		emit(x, BPF_JMP32 | op | BPF_K, R_A, 0, jump_to(x, jt),
		     (__s32)f->k);
	else
		emit(x, BPF_JMP32 | op | BPF_X, R_A, R_X, jump_to(x, jt), 0);
	if (f->jf)
		emit(x, BPF_JMP | BPF_JA, 0, 0, jump_to(x, jf), 0);
	return 0;
}

static int xlat_ret(struct xlat *x, const struct sock_filter *f)
{
	if (BPF_RVAL(f->code) == BPF_K) {
		if (x->chain_fd >= 0 && f->k != 0) {
			emit_tail_call(x);
		} else {
			emit_mov32_imm(x, R_A, (__s32)f->k);
			emit_exit(x);
		}
		return 0;
	}
	if (BPF_RVAL(f->code) != BPF_A)
		return xlat_error(x, "bad classic BPF return 0x%04x", f->code);
	if (x->chain_fd >= 0) {
		emit(x, BPF_JMP32 | BPF_JNE | BPF_K, R_A, 0, 1, 0);
		emit_exit(x);
		emit_tail_call(x);
	} else {
		emit_exit(x);
	}
	return 0;
}

static int xlat_misc(struct xlat *x, const struct sock_filter *f)
{
	switch (BPF_MISCOP(f->code)) {
	case BPF_TAX:
		emit(x, BPF_ALU | BPF_MOV | BPF_X, R_X, R_A, 0, 0);
		return 0;
	case BPF_TXA:
		emit(x, BPF_ALU | BPF_MOV | BPF_X, R_A, R_X, 0, 0);
		return 0;
	}
	return xlat_error(x, "bad classic BPF misc op 0x%04x", f->code);
}

static int xlat_one(struct xlat *x, unsigned int pc)
{
	const struct sock_filter *f = &x->in[pc];

	switch (BPF_CLASS(f->code)) {
	case BPF_LD:
		return xlat_ld(x, f);
	case BPF_LDX:
		return xlat_ldx(x, f);
	case BPF_ST:
		return xlat_store(x, f, R_A);
	case BPF_STX:
		return xlat_store(x, f, R_X);
	case BPF_ALU:
		return xlat_alu(x, f);
	case BPF_JMP:
		return xlat_jmp(x, f, pc);
	case BPF_RET:
		return xlat_ret(x, f);
	case BPF_MISC:
		return xlat_misc(x, f);
	}
	return xlat_error(x, "bad classic BPF instruction 0x%04x", f->code);
}

static int xlat_pass(struct xlat *x)
{
	unsigned int pc;
	int err;

	x->n = 0;
	emit_prologue(x);
	for (pc = 0; pc < x->len; pc++) {
		if (!x->out)
			x->start[pc] = x->n;
		err = xlat_one(x, pc);
		if (err)
			return err;
	}
	return 0;
}

/* Translate into a malloc'ed array; returns its length or -errno. */
static int xlat_run(struct xlat *x, struct bpf_insn **out)
{
	int err = -ENOMEM;

	*out = NULL;
	if (x->len == 0 || x->len > BPF_MAXINSNS)
		return xlat_error(x, "classic BPF program of %u instructions",
				  x->len);
	if (BPF_CLASS(x->in[x->len - 1].code) != BPF_RET)
		return xlat_error(x, "classic BPF program does not end with "
				     "a return");
	x->start = calloc(x->len, sizeof(*x->start));
	if (!x->start)
		goto out;
	x->out = NULL;
	err = xlat_pass(x);
	if (err)
		goto out_start;
	err = -ENOMEM;
	x->out = calloc(x->n, sizeof(*x->out));
	if (!x->out)
		goto out_start;
	err = xlat_pass(x);
	if (err) {
		free(x->out);
		goto out_start;
	}
	*out = x->out;
	err = (int)x->n;
out_start:
	free(x->start);
out:
	if (err == -ENOMEM)
		xlat_error(x, "out of memory");
	return err;
}

/* The verifier's log ends with the reason; keep its last line. */
static void last_log_line(const char *log, char *err, size_t errlen)
{
	size_t n = strlen(log);
	const char *p;

	while (n > 0 && log[n - 1] == '\n')
		n--;
	p = log + n;
	while (p > log && p[-1] != '\n')
		p--;
	snprintf(err, errlen, "eBPF verifier: %.*s", (int)(log + n - p), p);
}

/* Load; on failure load again with a log to say why. */
static int load_insns(const struct bpf_insn *insns, size_t n, char *err,
		      size_t errlen)
{
	LIBBPF_OPTS(bpf_prog_load_opts, opts);
	int fd, saved;
	char *log;

	fd = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "pfr_cbpf",
			   "Dual BSD/GPL", insns, n, NULL);
	if (fd >= 0)
		return fd;
	saved = -errno;
	snprintf(err, errlen, "loading the translated BPF filter: %s",
		 strerror(-saved));
	log = calloc(1, PFR_BPF_LOG_SIZE);
	if (!log)
		return saved;
	opts.log_buf = log;
	opts.log_size = PFR_BPF_LOG_SIZE;
	opts.log_level = 1;
	fd = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "pfr_cbpf",
			   "Dual BSD/GPL", insns, n, &opts);
	if (fd < 0 && log[0])
		last_log_line(log, err, errlen);
	free(log);
	return fd >= 0 ? fd : saved;
}

int pfr_cbpf_load(const struct sock_filter *prog, unsigned int len,
		  int chain_map_fd, char *err, size_t errlen)
{
	struct xlat x = {.in = prog,
			 .len = len,
			 .chain_fd = chain_map_fd,
			 .err = err,
			 .errlen = errlen};
	struct bpf_insn *insns;
	int n, fd;

	n = xlat_run(&x, &insns);
	if (n < 0)
		return n;
	fd = load_insns(insns, (size_t)n, err, errlen);
	free(insns);
	return fd;
}
