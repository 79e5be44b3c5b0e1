/* udp wire header: what udp_hdr_valid() accepts and rejects, and the
 * message size an MTU allows. */
#include <string.h>
#include <sys/socket.h>

#include "testlib.h"
#include "prov/udp/udp.h"

int main(void)
{
	unsigned char buf[64];
	struct udp_hdr h;

	udp_hdr_init(&h, UDP_HDR_CQ_DATA, 0x0102030405060708ull);
	CHECK(udp_hdr_valid(&h, sizeof(h)));
	CHECK(udp_hdr_valid(&h, sizeof(h) + 100));
	CHECK(!udp_hdr_valid(&h, sizeof(h) - 1));
	CHECK(!udp_hdr_valid(&h, 0));
	/* Byte layout on the wire (little-endian). */
	memcpy(buf, &h, sizeof(h));
	CHECK(buf[0] == UDP_PROTO_VERSION && buf[1] == UDP_OP_MSG);
	CHECK(buf[2] == UDP_HDR_CQ_DATA && buf[3] == 0);
	CHECK(!memcmp(buf + 4, "WFTU", 4));
	CHECK(buf[8] == 0x08 && buf[15] == 0x01);

	h.version = UDP_PROTO_VERSION + 1;
	CHECK(!udp_hdr_valid(&h, sizeof(h)));
	udp_hdr_init(&h, 0, 0);
	h.op = UDP_OP_INVALID;
	CHECK(!udp_hdr_valid(&h, sizeof(h)));
	h.op = UDP_OP_COUNT;
	CHECK(!udp_hdr_valid(&h, sizeof(h)));
	udp_hdr_init(&h, 0, 0);
	h.flags = 0x80;
	CHECK(!udp_hdr_valid(&h, sizeof(h)));
	udp_hdr_init(&h, 0, 0);
	h.magic ^= 1;
	CHECK(!udp_hdr_valid(&h, sizeof(h)));
	memset(&h, 0, sizeof(h));
	CHECK(!udp_hdr_valid(&h, sizeof(h)));

	/* Payload per datagram: MTU minus IP, UDP and our header. */
	CHECK(udp_max_msg_size(AF_INET, 1500) == 1500 - 28 - 16);
	CHECK(udp_max_msg_size(AF_INET6, 1500) == 1500 - 48 - 16);
	CHECK(udp_max_msg_size(AF_INET, 65536) == 65507 - 16);
	CHECK(udp_max_msg_size(AF_INET6, 65536) == 65536 - 48 - 16);
	CHECK(udp_max_msg_size(AF_INET, 0) == 65507 - 16);
	return 0;
}
