/* Small-message rate: a window of injects (sends where inject is not offered). */
#include "bench_common.h"

int main(int argc, char **argv)
{
	return bench_main(argc, argv, BENCH_RATE);
}
