-- Operator families of their own (not made by CREATE OPERATOR CLASS), one with loose members.
CREATE OPERATOR FAMILY snap_int_ops USING btree;
ALTER OPERATOR FAMILY snap_int_ops USING btree ADD
    OPERATOR 1 < (integer, bigint),
    OPERATOR 3 = (integer, bigint),
    FUNCTION 1 (integer, bigint) btint48cmp(integer, bigint);
COMMENT ON OPERATOR FAMILY snap_int_ops USING btree IS 'cross-type integers';
CREATE SCHEMA "Ops";
CREATE OPERATOR FAMILY "Ops"."Empty Family" USING hash;
