-- expect: F704 (0015_audit_b has version 15 too: two branches merged)
SELECT 1;
