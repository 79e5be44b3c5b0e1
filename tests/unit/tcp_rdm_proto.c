/* The tcp provider's FI_EP_RDM additions to the wire format: the RDM
 * handshake payload's layout, the id carried in a message header, and the
 * validation gate of RDM connections (tcp_rdm_hdr_valid), which accepts
 * the rendezvous and acknowledgement ops and flags that an FI_EP_MSG
 * connection's gate (tcp_hdr_valid) refuses. */
#include <string.h>

#include "prov/tcp/tcp_proto.h"
#include "testlib.h"

static void test_rdm_cm(void)
{
	struct tcp_cm_hdr h;

	CHECK(sizeof(struct tcp_rdm_cm) == 32);
	tcp_cm_hdr_init(&h, TCP_CM_RDM_REQ, sizeof(struct tcp_rdm_cm));
	CHECK(tcp_cm_hdr_valid(&h, TCP_CM_RDM_REQ));
	CHECK(!tcp_cm_hdr_valid(&h, TCP_CM_REQ)); /* not an MSG request */
	CHECK(!tcp_cm_hdr_valid(&h, 0));          /* nor an MSG answer */
	tcp_cm_hdr_init(&h, TCP_CM_RDM_ACCEPT, sizeof(struct tcp_rdm_cm));
	CHECK(tcp_cm_hdr_valid(&h, TCP_CM_RDM_ACCEPT));
	CHECK(!tcp_cm_hdr_valid(&h, 0));
	/* An MSG request is not an RDM one. */
	tcp_cm_hdr_init(&h, TCP_CM_REQ, 0);
	CHECK(!tcp_cm_hdr_valid(&h, TCP_CM_RDM_REQ));
}

static void test_rdm_hdr(void)
{
	struct tcp_hdr h;
	const uint8_t *b = (const uint8_t *)&h;

	tcp_hdr_init(&h, TCP_OP_RTS, TCP_HDR_TAGGED | TCP_HDR_CQ_DATA, 0, 5, 6);
	tcp_hdr_set_id(&h, 0x01020304u);
	CHECK(b[4] == 4 && b[5] == 3 && b[6] == 2 && b[7] == 1);
	CHECK(tcp_hdr_id(&h) == 0x01020304u);
	CHECK(tcp_rdm_hdr_valid(&h, 100));
	CHECK(!tcp_hdr_valid(&h, 100)); /* never on an MSG connection */
	CHECK(tcp_op_has_rma(TCP_OP_RTS) && tcp_op_has_rma(TCP_OP_CTS));
	CHECK(!tcp_op_has_rma(TCP_OP_DATA) && !tcp_op_has_rma(TCP_OP_ACK));

	for (unsigned op = 0; op < 256; op++) {
		tcp_hdr_init(&h, (uint8_t)op, 0, 0, 0, 0);
		CHECK(tcp_rdm_hdr_valid(&h, 0) ==
		      (op > TCP_OP_INVALID && op < TCP_OP_RDM_COUNT));
		CHECK(tcp_hdr_valid(&h, 0) ==
		      (op > TCP_OP_INVALID && op < TCP_OP_COUNT));
	}
	tcp_hdr_init(&h, TCP_OP_MSG, TCP_HDR_ACK, 10, 0, 0);
	CHECK(tcp_rdm_hdr_valid(&h, 10));
	CHECK(!tcp_rdm_hdr_valid(&h, 9)); /* over the size limit */
	CHECK(!tcp_hdr_valid(&h, 10));
	tcp_hdr_init(&h, TCP_OP_MSG, 0x0008, 0, 0, 0); /* unknown flag */
	CHECK(!tcp_rdm_hdr_valid(&h, 10));
	h.version = TCP_PROTO_VERSION + 1;
	CHECK(!tcp_rdm_hdr_valid(&h, 10));
}

int main(void)
{
	test_rdm_cm();
	test_rdm_hdr();
	return 0;
}
