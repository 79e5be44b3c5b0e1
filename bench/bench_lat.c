/* One-way latency by ping-pong: half the round trip, median and p99. */
#include "bench_common.h"

int main(int argc, char **argv)
{
	return bench_main(argc, argv, BENCH_LAT);
}
