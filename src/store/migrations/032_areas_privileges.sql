-- Cross-area records are never deleted by the service (issue #11 item 12 carried to #20): a
-- filing is written once (a withdrawal would be a new record), and a claim or a settlement
-- between areas only changes state.
REVOKE UPDATE, DELETE ON area_filing FROM yibao_app;
REVOKE DELETE ON area_claim, area_settlement FROM yibao_app;
