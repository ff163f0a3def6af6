-- comment; with a semicolon
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
CREATE TABLE public."we;ird" (id integer, note text DEFAULT E'it\'s; fine', "x""y" text);
/* block /* nested; */ comment */ CREATE FUNCTION public.f() RETURNS text
    LANGUAGE plpgsql AS $body$ BEGIN RETURN 'a;b'; END $body$;
CREATE FUNCTION public.g(a integer) RETURNS integer
    LANGUAGE sql
    BEGIN ATOMIC
 SELECT CASE WHEN a > 0 THEN 1 ELSE 2 END;
END;
DO $$ BEGIN PERFORM 1; END $$;
COPY public."we;ird" (id, note, "x""y") FROM stdin;
1	a;b	\N
2	'quoted'	$$
\.
\restrict abc
SELECT 1 -- trailing
;
\unrestrict abc
