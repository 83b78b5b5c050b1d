# Unit tests.  Each regress/unit/NAME_test.c is linked with libcommon and
# the objects listed in NAME_OBJS (sources of the process under test).
UNIT_SRCS	:= $(wildcard regress/unit/*_test.c)
UNIT_PROGS	:= $(patsubst regress/unit/%_test.c,$(B)/unit/%_test,$(UNIT_SRCS))

# Code under test, per test (sources without main()).
ring_OBJS	 =
msg_OBJS	 =
cart_OBJS	 =
conf_OBJS	 = $(call obj,$(filter-out tgt-master/tgt-master.c,$(MASTER_SRCS))) $(PARSE_OBJ)
pdu_OBJS	 = $(call obj,$(filter-out tgt-portal/tgt-portal.c,$(PORTAL_SRCS)))
login_OBJS	 = $(pdu_OBJS)
auth_OBJS	 = $(conf_OBJS)
acl_OBJS	 = $(pdu_OBJS)
isns_OBJS	 = $(pdu_OBJS)
digest_OBJS	 = $(call obj,tgt-portal/digest.c)
scsi_OBJS	 = $(call obj,$(filter-out tgt-lun/tgt-lun.c,$(LUN_SRCS)))
pr_OBJS		 = $(scsi_OBJS)
backend_OBJS	 = $(scsi_OBJS)
sandbox_OBJS	 = $(scsi_OBJS)
tape_OBJS	 = $(scsi_OBJS)
changer_OBJS	 = $(scsi_OBJS)
mmc_OBJS	 = $(scsi_OBJS)
passthrough_OBJS = $(scsi_OBJS)
alua_OBJS	 = $(scsi_OBJS)

$(B)/unit/%_test: $(B)/obj/regress/unit/%_test.o $(B)/libcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $($*_OBJS) $(B)/libcommon.a $(LIBS) -lisal -laio -luring \
	    -lnettle -lrdmacm -libverbs

.SECONDEXPANSION:
$(UNIT_PROGS): $$($$(patsubst $(B)/unit/%_test,%,$$@)_OBJS)

unit: $(UNIT_PROGS)
