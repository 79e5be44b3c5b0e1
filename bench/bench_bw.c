/* Streaming bandwidth: a window of sends, one ack per window. */
#include "bench_common.h"

int main(int argc, char **argv)
{
	return bench_main(argc, argv, BENCH_BW);
}
