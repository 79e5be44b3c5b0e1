/* Lock-free readers during growth: one thread inserts thousands of
 * addresses (allocating new chunks as it goes) while readers call
 * weft_av_addr / weft_av_reverse on indices already handed out and check
 * the bytes they see. Slots never move, so a published index must always
 * read back its own address. Run under ASan in the sanitizer build. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>

#include "av_fake_domain.h"
#include "util/av.h"

enum { N = 20000 };

static struct weft_av *wav;
static _Atomic uint64_t published; /* indices [0, published) are inserted */

static struct sockaddr_in addr_of(uint64_t i)
{
	struct sockaddr_in s;

	memset(&s, 0, sizeof(s));
	s.sin_family = AF_INET;
	s.sin_addr.s_addr = htonl(0x0a000000u + (uint32_t)i);
	s.sin_port = htons((uint16_t)(i % 60000 + 1));
	return s;
}

static void *reader(void *arg)
{
	uint64_t seed = (uintptr_t)arg, checks = 0;

	while (atomic_load_explicit(&published, memory_order_acquire) < N ||
	       checks < 1000) {
		uint64_t n = atomic_load_explicit(&published,
						  memory_order_acquire);
		if (!n)
			continue;
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		uint64_t i = (seed >> 33) % n;
		struct sockaddr_in want = addr_of(i);
		const struct sockaddr_in *got = weft_av_addr(wav, i);
		CHECK(got != NULL);
		CHECK(got->sin_addr.s_addr == want.sin_addr.s_addr &&
		      got->sin_port == want.sin_port);
		if (checks % 16 == 0)
			CHECK(weft_av_reverse(wav, &want, sizeof(want)) == i);
		checks++;
	}
	return NULL;
}

int main(void)
{
	struct fake_domain f;
	struct fi_av_attr attr = { .type = FI_AV_TABLE, .count = 1 };
	struct fid_av *av;
	pthread_t t[2];

	fake_domain_init(&f, FI_SOCKADDR_IN, FI_AV_TABLE, 0, 0);
	CHECK_OK(weft_av_open(&f.dom.domain_fid, &attr, &av, NULL));
	wav = weft_av_of(av);
	CHECK(wav->lock.enabled); /* FI_THREAD_SAFE */
	for (int i = 0; i < 2; i++)
		CHECK(pthread_create(&t[i], NULL, reader,
				     (void *)(uintptr_t)(i + 1)) == 0);
	for (uint64_t i = 0; i < N; i++) {
		struct sockaddr_in a = addr_of(i);
		fi_addr_t fa;
		CHECK_RET(fi_av_insert(av, &a, 1, &fa, 0, NULL), 1);
		CHECK(fa == i);
		atomic_store_explicit(&published, i + 1, memory_order_release);
	}
	for (int i = 0; i < 2; i++)
		CHECK(pthread_join(t[i], NULL) == 0);
	CHECK_OK(fi_close(&av->fid));
	fake_domain_fini(&f);
	return 0;
}
