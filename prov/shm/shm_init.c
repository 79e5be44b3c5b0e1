/* The shm provider's registration: its fi_provider, its tunables, the CMA
 * self-test and the descriptor the core's registry and matcher read. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "shm.h"

struct shm_params shm_params = {
	.cma = 1,
	.ring_size = 1024,
	/* 64 slots of 8 KiB rather than 16 of 32 KiB (same 512 KiB): every
	 * eager message takes a whole slot, and with 16 a window of 64
	 * medium sends put 48 of them on the rendezvous path (a system call
	 * and a DONE each): 1-8 KiB streaming went from ~0.2-0.4 to
	 * 12-38 GB/s here (docs/prov/shm.md). */
	.bounce_count = 64,
	.bounce_size = 8192,
	.max_peers = 65536,
	.eager_size = 8192,
	.coop = 1,
	/* Below 256 KiB the pipelined bounce copy (no system call) beat
	 * process_vm_readv + cooperative writes here (32-128 KiB: 1.2-2.4x);
	 * from 256 KiB CMA wins (docs/prov/shm.md). */
	.cma_min = 262144,
};
bool shm_cma_usable;

static void shm_cleanup(void)
{
}

struct fi_provider shm_prov = {
	.version = WEFT_PROV_VERSION,
	.fi_version = WEFT_FI_VERSION,
	.name = "shm",
	.getinfo = NULL, /* the core's matcher answers from shm_desc */
	.fabric = shm_fabric_open,
	.cleanup = shm_cleanup,
};

/* The provider's tunables, one row each: listed by `fi_info -e`, read from
 * FI_SHM_<NAME>. */
static const struct {
	const char *name;
	enum fi_param_type type;
	const char *help;
} shm_param_table[] = {
	{ "cma", FI_PARAM_BOOL,
	  "Move messages larger than an entry with one copy by "
	  "process_vm_readv (cross-memory attach) when the kernel allows it "
	  "(checked at startup and per peer). 0 forces copies through shared "
	  "bounce buffers. Default: 1." },
	{ "ring_size", FI_PARAM_SIZE_T,
	  "Entries of each endpoint's receive ring (rounded up to a power of "
	  "two, 256 bytes each). Default: 1024." },
	{ "bounce_count", FI_PARAM_SIZE_T,
	  "Bounce buffers per endpoint for the copy path (1..64). "
	  "Default: 64." },
	{ "bounce_size", FI_PARAM_SIZE_T,
	  "Bytes per bounce buffer (4096..1048576). Default: 8192." },
	{ "eager_size", FI_PARAM_SIZE_T,
	  "Messages up to this size (and larger than an entry's 192 bytes) "
	  "are copied into one of the sender's bounce buffers and complete "
	  "at once; larger ones wait for the receiver. 0 disables. At most "
	  "the bounce buffer size. Default: 8192." },
	{ "coop", FI_PARAM_BOOL,
	  "With CMA, a receiver of a message of two chunks or more (32 KiB "
	  "and up) asks its sender to copy chunks from the back with "
	  "process_vm_writev while it reads from the front, so both "
	  "processes copy. 0: the receiver copies alone. Default: 1." },
	{ "cma_min", FI_PARAM_SIZE_T,
	  "Rendezvous messages smaller than this go through bounce buffers "
	  "(pipelined copies by both processes, no system call) even when "
	  "CMA works. 0: CMA for every rendezvous message. Default: 262144." },
	{ "max_peers", FI_PARAM_SIZE_T,
	  "Peers one endpoint may send to (distinct addresses it uses from "
	  "its AV); a send to one more answers -FI_ENOSPC. Peers that "
	  "contact the endpoint are always answered. Default: 65536." },
};

static size_t shm_pow2(size_t n)
{
	size_t p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

/* Can this process use process_vm_readv at all (seccomp, kernels built
 * without CMA)? Reading our own memory needs no ptrace permission, so a
 * failure here means CMA is off for good; permission between two
 * processes is learnt per peer (an EPERM switches that peer to the copy
 * path). */
static bool shm_cma_selftest(void)
{
	char src[16] = "weft-cma-probe", dst[16] = { 0 };
	struct iovec local = { dst, sizeof(dst) };
	struct iovec remote = { src, sizeof(src) };
	ssize_t n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);

	return n == (ssize_t)sizeof(src) && memcmp(src, dst, sizeof(src)) == 0;
}

static int shm_init(void)
{
	size_t n = sizeof(shm_param_table) / sizeof(shm_param_table[0]);
	size_t v;
	int b;

	for (size_t i = 0; i < n; i++)
		fi_param_define(&shm_prov, shm_param_table[i].name,
				shm_param_table[i].type, "%s",
				shm_param_table[i].help);

	if (fi_param_get_bool(&shm_prov, "cma", &b) == 0)
		shm_params.cma = b ? 1 : 0;
	if (fi_param_get_size_t(&shm_prov, "ring_size", &v) == 0 && v >= 16 &&
	    v <= 65536)
		shm_params.ring_size = shm_pow2(v);
	if (fi_param_get_size_t(&shm_prov, "bounce_count", &v) == 0 && v >= 1 &&
	    v <= 64)
		shm_params.bounce_count = v;
	if (fi_param_get_size_t(&shm_prov, "bounce_size", &v) == 0 &&
	    v >= 4096 && v <= (1u << 20))
		shm_params.bounce_size = v & ~(size_t)63;
	if (fi_param_get_size_t(&shm_prov, "eager_size", &v) == 0)
		shm_params.eager_size = v;
	if (shm_params.eager_size > shm_params.bounce_size)
		shm_params.eager_size = shm_params.bounce_size;
	if (fi_param_get_size_t(&shm_prov, "cma_min", &v) == 0)
		shm_params.cma_min = v;
	if (fi_param_get_bool(&shm_prov, "coop", &b) == 0)
		shm_params.coop = b ? 1 : 0;
	if (fi_param_get_size_t(&shm_prov, "max_peers", &v) == 0 && v >= 1)
		shm_params.max_peers = v;

	/* A ring keeps half its entries for answers, and answers owed at
	 * once include one CREDIT per bounce slot: keep the slots within a
	 * quarter of the ring (shm_ep.max_pending). */
	if (shm_params.bounce_count > shm_params.ring_size / 4)
		shm_params.bounce_count = shm_params.ring_size / 4;

	shm_cma_usable = shm_params.cma && shm_cma_selftest();
	if (shm_params.cma && !shm_cma_usable)
		FI_INFO(&shm_prov, FI_LOG_CORE,
			"process_vm_readv is not permitted: large messages "
			"go through bounce buffers\n");
	return 0;
}

const struct weft_prov_desc shm_desc = {
	.prov = &shm_prov,
	.infos = shm_infos,
	.init = shm_init,
	.fixup = shm_info_fixup,
};

WEFT_PROVIDER(shm_desc);
