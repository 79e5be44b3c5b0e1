/* The tcp provider's wire format: sizes, byte order, and the validation
 * gates every byte off a socket goes through (tcp_cm_hdr_valid for the
 * handshake, tcp_hdr_valid for messages). */
#include <string.h>

#include "prov/tcp/tcp_proto.h"
#include "testlib.h"

static void test_cm_hdr(void)
{
	struct tcp_cm_hdr h;
	const uint8_t *b = (const uint8_t *)&h;

	tcp_cm_hdr_init(&h, TCP_CM_REQ, 200);
	/* Little-endian on the wire, whatever the host. */
	CHECK(b[0] == 'W' && b[1] == 'F' && b[2] == 'T' && b[3] == 'T');
	CHECK(b[4] == TCP_PROTO_VERSION && b[5] == TCP_CM_REQ);
	CHECK(b[6] == 200 && b[7] == 0);
	CHECK(tcp_cm_hdr_valid(&h, TCP_CM_REQ));
	CHECK(!tcp_cm_hdr_valid(&h, TCP_CM_ACCEPT));
	CHECK(!tcp_cm_hdr_valid(&h, 0)); /* an answer must be accept/reject */

	tcp_cm_hdr_init(&h, TCP_CM_ACCEPT, 0);
	CHECK(tcp_cm_hdr_valid(&h, 0));
	tcp_cm_hdr_init(&h, TCP_CM_REJECT, TCP_CM_DATA_MAX);
	CHECK(tcp_cm_hdr_valid(&h, 0));
	tcp_cm_hdr_init(&h, TCP_CM_REJECT, TCP_CM_DATA_MAX + 1);
	CHECK(!tcp_cm_hdr_valid(&h, 0));
	tcp_cm_hdr_init(&h, TCP_CM_INVALID, 0);
	CHECK(!tcp_cm_hdr_valid(&h, 0));
	tcp_cm_hdr_init(&h, TCP_CM_COUNT, 0);
	CHECK(!tcp_cm_hdr_valid(&h, 0));

	tcp_cm_hdr_init(&h, TCP_CM_REQ, 0);
	h.version = TCP_PROTO_VERSION + 1;
	CHECK(!tcp_cm_hdr_valid(&h, TCP_CM_REQ));
	tcp_cm_hdr_init(&h, TCP_CM_REQ, 0);
	h.magic ^= 1;
	CHECK(!tcp_cm_hdr_valid(&h, TCP_CM_REQ));
	/* An HTTP request is not a handshake. */
	memcpy(&h, "GET / HTTP/1.0\r\n", 16);
	CHECK(!tcp_cm_hdr_valid(&h, TCP_CM_REQ));
}

static void test_msg_hdr(void)
{
	struct tcp_hdr h;
	const uint8_t *b = (const uint8_t *)&h;

	tcp_hdr_init(&h, TCP_OP_TAGGED, TCP_HDR_CQ_DATA, 0x0102, 0xaabb,
		     0x1122334455667788ull);
	CHECK(b[0] == TCP_PROTO_VERSION && b[1] == TCP_OP_TAGGED);
	CHECK(b[2] == TCP_HDR_CQ_DATA && b[3] == 0);
	CHECK(b[8] == 0x02 && b[9] == 0x01);
	CHECK(b[16] == 0xbb && b[17] == 0xaa);
	CHECK(b[24] == 0x88 && b[31] == 0x11);
	CHECK(tcp_hdr_valid(&h, 0x0102));
	CHECK(!tcp_hdr_valid(&h, 0x0101)); /* larger than allowed */

	tcp_hdr_init(&h, TCP_OP_MSG, 0, 0, 0, 0);
	CHECK(tcp_hdr_valid(&h, 0));
	h.version = 0;
	CHECK(!tcp_hdr_valid(&h, 0));
	tcp_hdr_init(&h, TCP_OP_INVALID, 0, 0, 0, 0);
	CHECK(!tcp_hdr_valid(&h, 0));
	tcp_hdr_init(&h, TCP_OP_COUNT, 0, 0, 0, 0);
	CHECK(!tcp_hdr_valid(&h, 0));
	tcp_hdr_init(&h, TCP_OP_MSG, 0x8000, 0, 0, 0);
	CHECK(!tcp_hdr_valid(&h, 0)); /* unknown flag */
	memset(&h, 0xff, sizeof(h));
	CHECK(!tcp_hdr_valid(&h, ~0ull));
	memset(&h, 0, sizeof(h));
	CHECK(!tcp_hdr_valid(&h, ~0ull));
}

int main(void)
{
	test_cm_hdr();
	test_msg_hdr();
	printf("PASS\n");
	return 0;
}
