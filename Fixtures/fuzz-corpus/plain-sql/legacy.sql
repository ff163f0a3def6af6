--
-- PostgreSQL database dump
--

-- Dumped from database version 16.2
-- Dumped by pg_dump version 16.2

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: events; Type: TABLE; Schema: public; Owner: sentient
--

CREATE TABLE public.events (
    event_id bigint NOT NULL,
    ts timestamp with time zone NOT NULL,
    level text NOT NULL,
    event text NOT NULL,
    msg text,
    fields jsonb,
    room_id text NOT NULL,
    session_id text
);


ALTER TABLE public.events OWNER TO sentient;

--
-- Name: events_event_id_seq; Type: SEQUENCE; Schema: public; Owner: sentient
--

CREATE SEQUENCE public.events_event_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


ALTER SEQUENCE public.events_event_id_seq OWNER TO sentient;

--
-- Name: events_event_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: sentient
--

ALTER SEQUENCE public.events_event_id_seq OWNED BY public.events.event_id;


--
-- Name: events event_id; Type: DEFAULT; Schema: public; Owner: sentient
--

ALTER TABLE ONLY public.events ALTER COLUMN event_id SET DEFAULT nextval('public.events_event_id_seq'::regclass);


--
-- Data for Name: events; Type: TABLE DATA; Schema: public; Owner: sentient
--

COPY public.events (event_id, ts, level, event, msg, fields, room_id, session_id) FROM stdin;
1	2024-01-15 12:00:10+00	warn	puzzle_1	scarab pressed\tstep 1 ✓	{"step": 1, "device": "scarab_panel"}	pharaohs	game-0
2	2024-01-15 12:00:20+00	error	puzzle_2	scarab pressed\tstep 2 ✓	{"step": 2, "device": "scarab_panel"}	pharaohs	game-0
3	2024-01-15 12:00:30+00	info	puzzle_3	scarab pressed\tstep 3 ✓	{"step": 3, "device": "scarab_panel"}	pharaohs	game-0
4	2024-01-15 12:00:40+00	warn	puzzle_4	\N	{"step": 4, "device": "scarab_panel"}	pharaohs	game-0
5	2024-01-15 12:00:50+00	error	puzzle_5	scarab pressed\tstep 5 ✓	{"step": 5, "device": "scarab_panel"}	pharaohs	game-0
6	2024-01-15 12:01:00+00	info	puzzle_6	scarab pressed\tstep 6 ✓	{"step": 6, "device": "scarab_panel"}	pharaohs	game-0
7	2024-01-15 12:01:10+00	warn	puzzle_7	scarab pressed\tstep 7 ✓	{"step": 7, "device": "scarab_panel"}	pharaohs	game-0
8	2024-01-15 12:01:20+00	error	puzzle_8	\N	{"step": 8, "device": "scarab_panel"}	pharaohs	game-0
9	2024-01-15 12:01:30+00	info	puzzle_0	scarab pressed\tstep 9 ✓	{"step": 9, "device": "scarab_panel"}	pharaohs	game-0
10	2024-01-15 12:01:40+00	warn	puzzle_1	scarab pressed\tstep 10 ✓	{"step": 10, "device": "scarab_panel"}	pharaohs	game-0
11	2024-01-15 12:01:50+00	error	puzzle_2	scarab pressed\tstep 11 ✓	{"step": 11, "device": "scarab_panel"}	pharaohs	game-0
12	2024-01-15 12:02:00+00	info	puzzle_3	\N	{"step": 12, "device": "scarab_panel"}	pharaohs	game-0
13	2024-01-15 12:02:10+00	warn	puzzle_4	scarab pressed\tstep 13 ✓	{"step": 13, "device": "scarab_panel"}	pharaohs	game-0
14	2024-01-15 12:02:20+00	error	puzzle_5	scarab pressed\tstep 14 ✓	{"step": 14, "device": "scarab_panel"}	pharaohs	game-0
15	2024-01-15 12:02:30+00	info	puzzle_6	scarab pressed\tstep 15 ✓	{"step": 15, "device": "scarab_panel"}	pharaohs	game-0
16	2024-01-15 12:02:40+00	warn	puzzle_7	\N	{"step": 16, "device": "scarab_panel"}	pharaohs	game-0
17	2024-01-15 12:02:50+00	error	puzzle_8	scarab pressed\tstep 17 ✓	{"step": 17, "device": "scarab_panel"}	pharaohs	game-0
18	2024-01-15 12:03:00+00	info	puzzle_0	scarab pressed\tstep 18 ✓	{"step": 18, "device": "scarab_panel"}	pharaohs	game-0
19	2024-01-15 12:03:10+00	warn	puzzle_1	scarab pressed\tstep 19 ✓	{"step": 19, "device": "scarab_panel"}	pharaohs	game-0
20	2024-01-15 12:03:20+00	error	puzzle_2	\N	{"step": 20, "device": "scarab_panel"}	pharaohs	game-0
21	2024-01-15 12:03:30+00	info	puzzle_3	scarab pressed\tstep 21 ✓	{"step": 21, "device": "scarab_panel"}	pharaohs	game-0
22	2024-01-15 12:03:40+00	warn	puzzle_4	scarab pressed\tstep 22 ✓	{"step": 22, "device": "scarab_panel"}	pharaohs	game-0
23	2024-01-15 12:03:50+00	error	puzzle_5	scarab pressed\tstep 23 ✓	{"step": 23, "device": "scarab_panel"}	pharaohs	game-0
24	2024-01-15 12:04:00+00	info	puzzle_6	\N	{"step": 24, "device": "scarab_panel"}	pharaohs	game-0
25	2024-01-15 12:04:10+00	warn	puzzle_7	scarab pressed\tstep 25 ✓	{"step": 25, "device": "scarab_panel"}	pharaohs	game-0
26	2024-01-15 12:04:20+00	error	puzzle_8	scarab pressed\tstep 26 ✓	{"step": 26, "device": "scarab_panel"}	pharaohs	game-0
27	2024-01-15 12:04:30+00	info	puzzle_0	scarab pressed\tstep 27 ✓	{"step": 27, "device": "scarab_panel"}	pharaohs	game-0
28	2024-01-15 12:04:40+00	warn	puzzle_1	\N	{"step": 28, "device": "scarab_panel"}	pharaohs	game-0
29	2024-01-15 12:04:50+00	error	puzzle_2	scarab pressed\tstep 29 ✓	{"step": 29, "device": "scarab_panel"}	pharaohs	game-0
30	2024-01-15 12:05:00+00	info	puzzle_3	scarab pressed\tstep 30 ✓	{"step": 30, "device": "scarab_panel"}	pharaohs	game-0
31	2024-01-15 12:05:10+00	warn	puzzle_4	scarab pressed\tstep 31 ✓	{"step": 31, "device": "scarab_panel"}	pharaohs	game-0
32	2024-01-15 12:05:20+00	error	puzzle_5	\N	{"step": 32, "device": "scarab_panel"}	pharaohs	game-0
33	2024-01-15 12:05:30+00	info	puzzle_6	scarab pressed\tstep 33 ✓	{"step": 33, "device": "scarab_panel"}	pharaohs	game-0
34	2024-01-15 12:05:40+00	warn	puzzle_7	scarab pressed\tstep 34 ✓	{"step": 34, "device": "scarab_panel"}	pharaohs	game-0
35	2024-01-15 12:05:50+00	error	puzzle_8	scarab pressed\tstep 35 ✓	{"step": 35, "device": "scarab_panel"}	pharaohs	game-0
36	2024-01-15 12:06:00+00	info	puzzle_0	\N	{"step": 36, "device": "scarab_panel"}	pharaohs	game-0
37	2024-01-15 12:06:10+00	warn	puzzle_1	scarab pressed\tstep 37 ✓	{"step": 37, "device": "scarab_panel"}	pharaohs	game-0
38	2024-01-15 12:06:20+00	error	puzzle_2	scarab pressed\tstep 38 ✓	{"step": 38, "device": "scarab_panel"}	pharaohs	game-0
39	2024-01-15 12:06:30+00	info	puzzle_3	scarab pressed\tstep 39 ✓	{"step": 39, "device": "scarab_panel"}	pharaohs	game-0
40	2024-01-15 12:06:40+00	warn	puzzle_4	\N	{"step": 40, "device": "scarab_panel"}	pharaohs	game-0
41	2024-01-15 12:06:50+00	error	puzzle_5	scarab pressed\tstep 41 ✓	{"step": 41, "device": "scarab_panel"}	pharaohs	game-0
42	2024-01-15 12:07:00+00	info	puzzle_6	scarab pressed\tstep 42 ✓	{"step": 42, "device": "scarab_panel"}	pharaohs	game-0
43	2024-01-15 12:07:10+00	warn	puzzle_7	scarab pressed\tstep 43 ✓	{"step": 43, "device": "scarab_panel"}	pharaohs	game-0
44	2024-01-15 12:07:20+00	error	puzzle_8	\N	{"step": 44, "device": "scarab_panel"}	pharaohs	game-0
45	2024-01-15 12:07:30+00	info	puzzle_0	scarab pressed\tstep 45 ✓	{"step": 45, "device": "scarab_panel"}	pharaohs	game-0
46	2024-01-15 12:07:40+00	warn	puzzle_1	scarab pressed\tstep 46 ✓	{"step": 46, "device": "scarab_panel"}	pharaohs	game-0
47	2024-01-15 12:07:50+00	error	puzzle_2	scarab pressed\tstep 47 ✓	{"step": 47, "device": "scarab_panel"}	pharaohs	game-0
48	2024-01-15 12:08:00+00	info	puzzle_3	\N	{"step": 48, "device": "scarab_panel"}	pharaohs	game-0
49	2024-01-15 12:08:10+00	warn	puzzle_4	scarab pressed\tstep 49 ✓	{"step": 49, "device": "scarab_panel"}	pharaohs	game-0
50	2024-01-15 12:08:20+00	error	puzzle_5	scarab pressed\tstep 50 ✓	{"step": 50, "device": "scarab_panel"}	pharaohs	game-0
51	2024-01-15 12:08:30+00	info	puzzle_6	scarab pressed\tstep 51 ✓	{"step": 51, "device": "scarab_panel"}	pharaohs	game-0
52	2024-01-15 12:08:40+00	warn	puzzle_7	\N	{"step": 52, "device": "scarab_panel"}	pharaohs	game-0
53	2024-01-15 12:08:50+00	error	puzzle_8	scarab pressed\tstep 53 ✓	{"step": 53, "device": "scarab_panel"}	pharaohs	game-0
54	2024-01-15 12:09:00+00	info	puzzle_0	scarab pressed\tstep 54 ✓	{"step": 54, "device": "scarab_panel"}	pharaohs	game-0
55	2024-01-15 12:09:10+00	warn	puzzle_1	scarab pressed\tstep 55 ✓	{"step": 55, "device": "scarab_panel"}	pharaohs	game-0
56	2024-01-15 12:09:20+00	error	puzzle_2	\N	{"step": 56, "device": "scarab_panel"}	pharaohs	game-0
57	2024-01-15 12:09:30+00	info	puzzle_3	scarab pressed\tstep 57 ✓	{"step": 57, "device": "scarab_panel"}	pharaohs	game-0
58	2024-01-15 12:09:40+00	warn	puzzle_4	scarab pressed\tstep 58 ✓	{"step": 58, "device": "scarab_panel"}	pharaohs	game-0
59	2024-01-15 12:09:50+00	error	puzzle_5	scarab pressed\tstep 59 ✓	{"step": 59, "device": "scarab_panel"}	pharaohs	game-0
60	2024-01-15 12:10:00+00	info	puzzle_6	\N	{"step": 60, "device": "scarab_panel"}	pharaohs	game-0
61	2024-01-15 12:10:10+00	warn	puzzle_7	scarab pressed\tstep 61 ✓	{"step": 61, "device": "scarab_panel"}	pharaohs	game-0
62	2024-01-15 12:10:20+00	error	puzzle_8	scarab pressed\tstep 62 ✓	{"step": 62, "device": "scarab_panel"}	pharaohs	game-0
63	2024-01-15 12:10:30+00	info	puzzle_0	scarab pressed\tstep 63 ✓	{"step": 63, "device": "scarab_panel"}	pharaohs	game-0
64	2024-01-15 12:10:40+00	warn	puzzle_1	\N	{"step": 64, "device": "scarab_panel"}	pharaohs	game-0
65	2024-01-15 12:10:50+00	error	puzzle_2	scarab pressed\tstep 65 ✓	{"step": 65, "device": "scarab_panel"}	pharaohs	game-0
66	2024-01-15 12:11:00+00	info	puzzle_3	scarab pressed\tstep 66 ✓	{"step": 66, "device": "scarab_panel"}	pharaohs	game-0
67	2024-01-15 12:11:10+00	warn	puzzle_4	scarab pressed\tstep 67 ✓	{"step": 67, "device": "scarab_panel"}	pharaohs	game-0
68	2024-01-15 12:11:20+00	error	puzzle_5	\N	{"step": 68, "device": "scarab_panel"}	pharaohs	game-0
69	2024-01-15 12:11:30+00	info	puzzle_6	scarab pressed\tstep 69 ✓	{"step": 69, "device": "scarab_panel"}	pharaohs	game-0
70	2024-01-15 12:11:40+00	warn	puzzle_7	scarab pressed\tstep 70 ✓	{"step": 70, "device": "scarab_panel"}	pharaohs	game-0
71	2024-01-15 12:11:50+00	error	puzzle_8	scarab pressed\tstep 71 ✓	{"step": 71, "device": "scarab_panel"}	pharaohs	game-0
72	2024-01-15 12:12:00+00	info	puzzle_0	\N	{"step": 72, "device": "scarab_panel"}	pharaohs	game-0
73	2024-01-15 12:12:10+00	warn	puzzle_1	scarab pressed\tstep 73 ✓	{"step": 73, "device": "scarab_panel"}	pharaohs	game-0
74	2024-01-15 12:12:20+00	error	puzzle_2	scarab pressed\tstep 74 ✓	{"step": 74, "device": "scarab_panel"}	pharaohs	game-0
75	2024-01-15 12:12:30+00	info	puzzle_3	scarab pressed\tstep 75 ✓	{"step": 75, "device": "scarab_panel"}	pharaohs	game-0
76	2024-01-15 12:12:40+00	warn	puzzle_4	\N	{"step": 76, "device": "scarab_panel"}	pharaohs	game-0
77	2024-01-15 12:12:50+00	error	puzzle_5	scarab pressed\tstep 77 ✓	{"step": 77, "device": "scarab_panel"}	pharaohs	game-0
78	2024-01-15 12:13:00+00	info	puzzle_6	scarab pressed\tstep 78 ✓	{"step": 78, "device": "scarab_panel"}	pharaohs	game-0
79	2024-01-15 12:13:10+00	warn	puzzle_7	scarab pressed\tstep 79 ✓	{"step": 79, "device": "scarab_panel"}	pharaohs	game-0
80	2024-01-15 12:13:20+00	error	puzzle_8	\N	{"step": 80, "device": "scarab_panel"}	pharaohs	game-0
81	2024-01-15 12:13:30+00	info	puzzle_0	scarab pressed\tstep 81 ✓	{"step": 81, "device": "scarab_panel"}	pharaohs	game-0
82	2024-01-15 12:13:40+00	warn	puzzle_1	scarab pressed\tstep 82 ✓	{"step": 82, "device": "scarab_panel"}	pharaohs	game-0
83	2024-01-15 12:13:50+00	error	puzzle_2	scarab pressed\tstep 83 ✓	{"step": 83, "device": "scarab_panel"}	pharaohs	game-0
84	2024-01-15 12:14:00+00	info	puzzle_3	\N	{"step": 84, "device": "scarab_panel"}	pharaohs	game-0
85	2024-01-15 12:14:10+00	warn	puzzle_4	scarab pressed\tstep 85 ✓	{"step": 85, "device": "scarab_panel"}	pharaohs	game-0
86	2024-01-15 12:14:20+00	error	puzzle_5	scarab pressed\tstep 86 ✓	{"step": 86, "device": "scarab_panel"}	pharaohs	game-0
87	2024-01-15 12:14:30+00	info	puzzle_6	scarab pressed\tstep 87 ✓	{"step": 87, "device": "scarab_panel"}	pharaohs	game-0
88	2024-01-15 12:14:40+00	warn	puzzle_7	\N	{"step": 88, "device": "scarab_panel"}	pharaohs	game-0
89	2024-01-15 12:14:50+00	error	puzzle_8	scarab pressed\tstep 89 ✓	{"step": 89, "device": "scarab_panel"}	pharaohs	game-0
90	2024-01-15 12:15:00+00	info	puzzle_0	scarab pressed\tstep 90 ✓	{"step": 90, "device": "scarab_panel"}	pharaohs	game-0
91	2024-01-15 12:15:10+00	warn	puzzle_1	scarab pressed\tstep 91 ✓	{"step": 91, "device": "scarab_panel"}	pharaohs	game-0
92	2024-01-15 12:15:20+00	error	puzzle_2	\N	{"step": 92, "device": "scarab_panel"}	pharaohs	game-0
93	2024-01-15 12:15:30+00	info	puzzle_3	scarab pressed\tstep 93 ✓	{"step": 93, "device": "scarab_panel"}	pharaohs	game-0
94	2024-01-15 12:15:40+00	warn	puzzle_4	scarab pressed\tstep 94 ✓	{"step": 94, "device": "scarab_panel"}	pharaohs	game-0
95	2024-01-15 12:15:50+00	error	puzzle_5	scarab pressed\tstep 95 ✓	{"step": 95, "device": "scarab_panel"}	pharaohs	game-0
96	2024-01-15 12:16:00+00	info	puzzle_6	\N	{"step": 96, "device": "scarab_panel"}	pharaohs	game-0
97	2024-01-15 12:16:10+00	warn	puzzle_7	scarab pressed\tstep 97 ✓	{"step": 97, "device": "scarab_panel"}	pharaohs	game-0
98	2024-01-15 12:16:20+00	error	puzzle_8	scarab pressed\tstep 98 ✓	{"step": 98, "device": "scarab_panel"}	pharaohs	game-0
99	2024-01-15 12:16:30+00	info	puzzle_0	scarab pressed\tstep 99 ✓	{"step": 99, "device": "scarab_panel"}	pharaohs	game-0
100	2024-01-15 12:16:40+00	warn	puzzle_1	\N	{"step": 100, "device": "scarab_panel"}	pharaohs	game-1
101	2024-01-15 12:16:50+00	error	puzzle_2	scarab pressed\tstep 101 ✓	{"step": 101, "device": "scarab_panel"}	pharaohs	game-1
102	2024-01-15 12:17:00+00	info	puzzle_3	scarab pressed\tstep 102 ✓	{"step": 102, "device": "scarab_panel"}	pharaohs	game-1
103	2024-01-15 12:17:10+00	warn	puzzle_4	scarab pressed\tstep 103 ✓	{"step": 103, "device": "scarab_panel"}	pharaohs	game-1
104	2024-01-15 12:17:20+00	error	puzzle_5	\N	{"step": 104, "device": "scarab_panel"}	pharaohs	game-1
105	2024-01-15 12:17:30+00	info	puzzle_6	scarab pressed\tstep 105 ✓	{"step": 105, "device": "scarab_panel"}	pharaohs	game-1
106	2024-01-15 12:17:40+00	warn	puzzle_7	scarab pressed\tstep 106 ✓	{"step": 106, "device": "scarab_panel"}	pharaohs	game-1
107	2024-01-15 12:17:50+00	error	puzzle_8	scarab pressed\tstep 107 ✓	{"step": 107, "device": "scarab_panel"}	pharaohs	game-1
108	2024-01-15 12:18:00+00	info	puzzle_0	\N	{"step": 108, "device": "scarab_panel"}	pharaohs	game-1
109	2024-01-15 12:18:10+00	warn	puzzle_1	scarab pressed\tstep 109 ✓	{"step": 109, "device": "scarab_panel"}	pharaohs	game-1
110	2024-01-15 12:18:20+00	error	puzzle_2	scarab pressed\tstep 110 ✓	{"step": 110, "device": "scarab_panel"}	pharaohs	game-1
111	2024-01-15 12:18:30+00	info	puzzle_3	scarab pressed\tstep 111 ✓	{"step": 111, "device": "scarab_panel"}	pharaohs	game-1
112	2024-01-15 12:18:40+00	warn	puzzle_4	\N	{"step": 112, "device": "scarab_panel"}	pharaohs	game-1
113	2024-01-15 12:18:50+00	error	puzzle_5	scarab pressed\tstep 113 ✓	{"step": 113, "device": "scarab_panel"}	pharaohs	game-1
114	2024-01-15 12:19:00+00	info	puzzle_6	scarab pressed\tstep 114 ✓	{"step": 114, "device": "scarab_panel"}	pharaohs	game-1
115	2024-01-15 12:19:10+00	warn	puzzle_7	scarab pressed\tstep 115 ✓	{"step": 115, "device": "scarab_panel"}	pharaohs	game-1
116	2024-01-15 12:19:20+00	error	puzzle_8	\N	{"step": 116, "device": "scarab_panel"}	pharaohs	game-1
117	2024-01-15 12:19:30+00	info	puzzle_0	scarab pressed\tstep 117 ✓	{"step": 117, "device": "scarab_panel"}	pharaohs	game-1
118	2024-01-15 12:19:40+00	warn	puzzle_1	scarab pressed\tstep 118 ✓	{"step": 118, "device": "scarab_panel"}	pharaohs	game-1
119	2024-01-15 12:19:50+00	error	puzzle_2	scarab pressed\tstep 119 ✓	{"step": 119, "device": "scarab_panel"}	pharaohs	game-1
120	2024-01-15 12:20:00+00	info	puzzle_3	\N	{"step": 120, "device": "scarab_panel"}	pharaohs	game-1
121	2024-01-15 12:20:10+00	warn	puzzle_4	scarab pressed\tstep 121 ✓	{"step": 121, "device": "scarab_panel"}	pharaohs	game-1
122	2024-01-15 12:20:20+00	error	puzzle_5	scarab pressed\tstep 122 ✓	{"step": 122, "device": "scarab_panel"}	pharaohs	game-1
123	2024-01-15 12:20:30+00	info	puzzle_6	scarab pressed\tstep 123 ✓	{"step": 123, "device": "scarab_panel"}	pharaohs	game-1
124	2024-01-15 12:20:40+00	warn	puzzle_7	\N	{"step": 124, "device": "scarab_panel"}	pharaohs	game-1
125	2024-01-15 12:20:50+00	error	puzzle_8	scarab pressed\tstep 125 ✓	{"step": 125, "device": "scarab_panel"}	pharaohs	game-1
126	2024-01-15 12:21:00+00	info	puzzle_0	scarab pressed\tstep 126 ✓	{"step": 126, "device": "scarab_panel"}	pharaohs	game-1
127	2024-01-15 12:21:10+00	warn	puzzle_1	scarab pressed\tstep 127 ✓	{"step": 127, "device": "scarab_panel"}	pharaohs	game-1
128	2024-01-15 12:21:20+00	error	puzzle_2	\N	{"step": 128, "device": "scarab_panel"}	pharaohs	game-1
129	2024-01-15 12:21:30+00	info	puzzle_3	scarab pressed\tstep 129 ✓	{"step": 129, "device": "scarab_panel"}	pharaohs	game-1
130	2024-01-15 12:21:40+00	warn	puzzle_4	scarab pressed\tstep 130 ✓	{"step": 130, "device": "scarab_panel"}	pharaohs	game-1
131	2024-01-15 12:21:50+00	error	puzzle_5	scarab pressed\tstep 131 ✓	{"step": 131, "device": "scarab_panel"}	pharaohs	game-1
132	2024-01-15 12:22:00+00	info	puzzle_6	\N	{"step": 132, "device": "scarab_panel"}	pharaohs	game-1
133	2024-01-15 12:22:10+00	warn	puzzle_7	scarab pressed\tstep 133 ✓	{"step": 133, "device": "scarab_panel"}	pharaohs	game-1
134	2024-01-15 12:22:20+00	error	puzzle_8	scarab pressed\tstep 134 ✓	{"step": 134, "device": "scarab_panel"}	pharaohs	game-1
135	2024-01-15 12:22:30+00	info	puzzle_0	scarab pressed\tstep 135 ✓	{"step": 135, "device": "scarab_panel"}	pharaohs	game-1
136	2024-01-15 12:22:40+00	warn	puzzle_1	\N	{"step": 136, "device": "scarab_panel"}	pharaohs	game-1
137	2024-01-15 12:22:50+00	error	puzzle_2	scarab pressed\tstep 137 ✓	{"step": 137, "device": "scarab_panel"}	pharaohs	game-1
138	2024-01-15 12:23:00+00	info	puzzle_3	scarab pressed\tstep 138 ✓	{"step": 138, "device": "scarab_panel"}	pharaohs	game-1
139	2024-01-15 12:23:10+00	warn	puzzle_4	scarab pressed\tstep 139 ✓	{"step": 139, "device": "scarab_panel"}	pharaohs	game-1
140	2024-01-15 12:23:20+00	error	puzzle_5	\N	{"step": 140, "device": "scarab_panel"}	pharaohs	game-1
141	2024-01-15 12:23:30+00	info	puzzle_6	scarab pressed\tstep 141 ✓	{"step": 141, "device": "scarab_panel"}	pharaohs	game-1
142	2024-01-15 12:23:40+00	warn	puzzle_7	scarab pressed\tstep 142 ✓	{"step": 142, "device": "scarab_panel"}	pharaohs	game-1
143	2024-01-15 12:23:50+00	error	puzzle_8	scarab pressed\tstep 143 ✓	{"step": 143, "device": "scarab_panel"}	pharaohs	game-1
144	2024-01-15 12:24:00+00	info	puzzle_0	\N	{"step": 144, "device": "scarab_panel"}	pharaohs	game-1
145	2024-01-15 12:24:10+00	warn	puzzle_1	scarab pressed\tstep 145 ✓	{"step": 145, "device": "scarab_panel"}	pharaohs	game-1
146	2024-01-15 12:24:20+00	error	puzzle_2	scarab pressed\tstep 146 ✓	{"step": 146, "device": "scarab_panel"}	pharaohs	game-1
147	2024-01-15 12:24:30+00	info	puzzle_3	scarab pressed\tstep 147 ✓	{"step": 147, "device": "scarab_panel"}	pharaohs	game-1
148	2024-01-15 12:24:40+00	warn	puzzle_4	\N	{"step": 148, "device": "scarab_panel"}	pharaohs	game-1
149	2024-01-15 12:24:50+00	error	puzzle_5	scarab pressed\tstep 149 ✓	{"step": 149, "device": "scarab_panel"}	pharaohs	game-1
150	2024-01-15 12:25:00+00	info	puzzle_6	scarab pressed\tstep 150 ✓	{"step": 150, "device": "scarab_panel"}	pharaohs	game-1
151	2024-01-15 12:25:10+00	warn	puzzle_7	scarab pressed\tstep 151 ✓	{"step": 151, "device": "scarab_panel"}	pharaohs	game-1
152	2024-01-15 12:25:20+00	error	puzzle_8	\N	{"step": 152, "device": "scarab_panel"}	pharaohs	game-1
153	2024-01-15 12:25:30+00	info	puzzle_0	scarab pressed\tstep 153 ✓	{"step": 153, "device": "scarab_panel"}	pharaohs	game-1
154	2024-01-15 12:25:40+00	warn	puzzle_1	scarab pressed\tstep 154 ✓	{"step": 154, "device": "scarab_panel"}	pharaohs	game-1
155	2024-01-15 12:25:50+00	error	puzzle_2	scarab pressed\tstep 155 ✓	{"step": 155, "device": "scarab_panel"}	pharaohs	game-1
156	2024-01-15 12:26:00+00	info	puzzle_3	\N	{"step": 156, "device": "scarab_panel"}	pharaohs	game-1
157	2024-01-15 12:26:10+00	warn	puzzle_4	scarab pressed\tstep 157 ✓	{"step": 157, "device": "scarab_panel"}	pharaohs	game-1
158	2024-01-15 12:26:20+00	error	puzzle_5	scarab pressed\tstep 158 ✓	{"step": 158, "device": "scarab_panel"}	pharaohs	game-1
159	2024-01-15 12:26:30+00	info	puzzle_6	scarab pressed\tstep 159 ✓	{"step": 159, "device": "scarab_panel"}	pharaohs	game-1
160	2024-01-15 12:26:40+00	warn	puzzle_7	\N	{"step": 160, "device": "scarab_panel"}	pharaohs	game-1
161	2024-01-15 12:26:50+00	error	puzzle_8	scarab pressed\tstep 161 ✓	{"step": 161, "device": "scarab_panel"}	pharaohs	game-1
162	2024-01-15 12:27:00+00	info	puzzle_0	scarab pressed\tstep 162 ✓	{"step": 162, "device": "scarab_panel"}	pharaohs	game-1
163	2024-01-15 12:27:10+00	warn	puzzle_1	scarab pressed\tstep 163 ✓	{"step": 163, "device": "scarab_panel"}	pharaohs	game-1
164	2024-01-15 12:27:20+00	error	puzzle_2	\N	{"step": 164, "device": "scarab_panel"}	pharaohs	game-1
165	2024-01-15 12:27:30+00	info	puzzle_3	scarab pressed\tstep 165 ✓	{"step": 165, "device": "scarab_panel"}	pharaohs	game-1
166	2024-01-15 12:27:40+00	warn	puzzle_4	scarab pressed\tstep 166 ✓	{"step": 166, "device": "scarab_panel"}	pharaohs	game-1
167	2024-01-15 12:27:50+00	error	puzzle_5	scarab pressed\tstep 167 ✓	{"step": 167, "device": "scarab_panel"}	pharaohs	game-1
168	2024-01-15 12:28:00+00	info	puzzle_6	\N	{"step": 168, "device": "scarab_panel"}	pharaohs	game-1
169	2024-01-15 12:28:10+00	warn	puzzle_7	scarab pressed\tstep 169 ✓	{"step": 169, "device": "scarab_panel"}	pharaohs	game-1
170	2024-01-15 12:28:20+00	error	puzzle_8	scarab pressed\tstep 170 ✓	{"step": 170, "device": "scarab_panel"}	pharaohs	game-1
171	2024-01-15 12:28:30+00	info	puzzle_0	scarab pressed\tstep 171 ✓	{"step": 171, "device": "scarab_panel"}	pharaohs	game-1
172	2024-01-15 12:28:40+00	warn	puzzle_1	\N	{"step": 172, "device": "scarab_panel"}	pharaohs	game-1
173	2024-01-15 12:28:50+00	error	puzzle_2	scarab pressed\tstep 173 ✓	{"step": 173, "device": "scarab_panel"}	pharaohs	game-1
174	2024-01-15 12:29:00+00	info	puzzle_3	scarab pressed\tstep 174 ✓	{"step": 174, "device": "scarab_panel"}	pharaohs	game-1
175	2024-01-15 12:29:10+00	warn	puzzle_4	scarab pressed\tstep 175 ✓	{"step": 175, "device": "scarab_panel"}	pharaohs	game-1
176	2024-01-15 12:29:20+00	error	puzzle_5	\N	{"step": 176, "device": "scarab_panel"}	pharaohs	game-1
177	2024-01-15 12:29:30+00	info	puzzle_6	scarab pressed\tstep 177 ✓	{"step": 177, "device": "scarab_panel"}	pharaohs	game-1
178	2024-01-15 12:29:40+00	warn	puzzle_7	scarab pressed\tstep 178 ✓	{"step": 178, "device": "scarab_panel"}	pharaohs	game-1
179	2024-01-15 12:29:50+00	error	puzzle_8	scarab pressed\tstep 179 ✓	{"step": 179, "device": "scarab_panel"}	pharaohs	game-1
180	2024-01-15 12:30:00+00	info	puzzle_0	\N	{"step": 180, "device": "scarab_panel"}	pharaohs	game-1
181	2024-01-15 12:30:10+00	warn	puzzle_1	scarab pressed\tstep 181 ✓	{"step": 181, "device": "scarab_panel"}	pharaohs	game-1
182	2024-01-15 12:30:20+00	error	puzzle_2	scarab pressed\tstep 182 ✓	{"step": 182, "device": "scarab_panel"}	pharaohs	game-1
183	2024-01-15 12:30:30+00	info	puzzle_3	scarab pressed\tstep 183 ✓	{"step": 183, "device": "scarab_panel"}	pharaohs	game-1
184	2024-01-15 12:30:40+00	warn	puzzle_4	\N	{"step": 184, "device": "scarab_panel"}	pharaohs	game-1
185	2024-01-15 12:30:50+00	error	puzzle_5	scarab pressed\tstep 185 ✓	{"step": 185, "device": "scarab_panel"}	pharaohs	game-1
186	2024-01-15 12:31:00+00	info	puzzle_6	scarab pressed\tstep 186 ✓	{"step": 186, "device": "scarab_panel"}	pharaohs	game-1
187	2024-01-15 12:31:10+00	warn	puzzle_7	scarab pressed\tstep 187 ✓	{"step": 187, "device": "scarab_panel"}	pharaohs	game-1
188	2024-01-15 12:31:20+00	error	puzzle_8	\N	{"step": 188, "device": "scarab_panel"}	pharaohs	game-1
189	2024-01-15 12:31:30+00	info	puzzle_0	scarab pressed\tstep 189 ✓	{"step": 189, "device": "scarab_panel"}	pharaohs	game-1
190	2024-01-15 12:31:40+00	warn	puzzle_1	scarab pressed\tstep 190 ✓	{"step": 190, "device": "scarab_panel"}	pharaohs	game-1
191	2024-01-15 12:31:50+00	error	puzzle_2	scarab pressed\tstep 191 ✓	{"step": 191, "device": "scarab_panel"}	pharaohs	game-1
192	2024-01-15 12:32:00+00	info	puzzle_3	\N	{"step": 192, "device": "scarab_panel"}	pharaohs	game-1
193	2024-01-15 12:32:10+00	warn	puzzle_4	scarab pressed\tstep 193 ✓	{"step": 193, "device": "scarab_panel"}	pharaohs	game-1
194	2024-01-15 12:32:20+00	error	puzzle_5	scarab pressed\tstep 194 ✓	{"step": 194, "device": "scarab_panel"}	pharaohs	game-1
195	2024-01-15 12:32:30+00	info	puzzle_6	scarab pressed\tstep 195 ✓	{"step": 195, "device": "scarab_panel"}	pharaohs	game-1
196	2024-01-15 12:32:40+00	warn	puzzle_7	\N	{"step": 196, "device": "scarab_panel"}	pharaohs	game-1
197	2024-01-15 12:32:50+00	error	puzzle_8	scarab pressed\tstep 197 ✓	{"step": 197, "device": "scarab_panel"}	pharaohs	game-1
198	2024-01-15 12:33:00+00	info	puzzle_0	scarab pressed\tstep 198 ✓	{"step": 198, "device": "scarab_panel"}	pharaohs	game-1
199	2024-01-15 12:33:10+00	warn	puzzle_1	scarab pressed\tstep 199 ✓	{"step": 199, "device": "scarab_panel"}	pharaohs	game-1
200	2024-01-15 12:33:20+00	error	puzzle_2	\N	{"step": 200, "device": "scarab_panel"}	pharaohs	game-2
201	2024-01-15 12:33:30+00	info	puzzle_3	scarab pressed\tstep 201 ✓	{"step": 201, "device": "scarab_panel"}	pharaohs	game-2
202	2024-01-15 12:33:40+00	warn	puzzle_4	scarab pressed\tstep 202 ✓	{"step": 202, "device": "scarab_panel"}	pharaohs	game-2
203	2024-01-15 12:33:50+00	error	puzzle_5	scarab pressed\tstep 203 ✓	{"step": 203, "device": "scarab_panel"}	pharaohs	game-2
204	2024-01-15 12:34:00+00	info	puzzle_6	\N	{"step": 204, "device": "scarab_panel"}	pharaohs	game-2
205	2024-01-15 12:34:10+00	warn	puzzle_7	scarab pressed\tstep 205 ✓	{"step": 205, "device": "scarab_panel"}	pharaohs	game-2
206	2024-01-15 12:34:20+00	error	puzzle_8	scarab pressed\tstep 206 ✓	{"step": 206, "device": "scarab_panel"}	pharaohs	game-2
207	2024-01-15 12:34:30+00	info	puzzle_0	scarab pressed\tstep 207 ✓	{"step": 207, "device": "scarab_panel"}	pharaohs	game-2
208	2024-01-15 12:34:40+00	warn	puzzle_1	\N	{"step": 208, "device": "scarab_panel"}	pharaohs	game-2
209	2024-01-15 12:34:50+00	error	puzzle_2	scarab pressed\tstep 209 ✓	{"step": 209, "device": "scarab_panel"}	pharaohs	game-2
210	2024-01-15 12:35:00+00	info	puzzle_3	scarab pressed\tstep 210 ✓	{"step": 210, "device": "scarab_panel"}	pharaohs	game-2
211	2024-01-15 12:35:10+00	warn	puzzle_4	scarab pressed\tstep 211 ✓	{"step": 211, "device": "scarab_panel"}	pharaohs	game-2
212	2024-01-15 12:35:20+00	error	puzzle_5	\N	{"step": 212, "device": "scarab_panel"}	pharaohs	game-2
213	2024-01-15 12:35:30+00	info	puzzle_6	scarab pressed\tstep 213 ✓	{"step": 213, "device": "scarab_panel"}	pharaohs	game-2
214	2024-01-15 12:35:40+00	warn	puzzle_7	scarab pressed\tstep 214 ✓	{"step": 214, "device": "scarab_panel"}	pharaohs	game-2
215	2024-01-15 12:35:50+00	error	puzzle_8	scarab pressed\tstep 215 ✓	{"step": 215, "device": "scarab_panel"}	pharaohs	game-2
216	2024-01-15 12:36:00+00	info	puzzle_0	\N	{"step": 216, "device": "scarab_panel"}	pharaohs	game-2
217	2024-01-15 12:36:10+00	warn	puzzle_1	scarab pressed\tstep 217 ✓	{"step": 217, "device": "scarab_panel"}	pharaohs	game-2
218	2024-01-15 12:36:20+00	error	puzzle_2	scarab pressed\tstep 218 ✓	{"step": 218, "device": "scarab_panel"}	pharaohs	game-2
219	2024-01-15 12:36:30+00	info	puzzle_3	scarab pressed\tstep 219 ✓	{"step": 219, "device": "scarab_panel"}	pharaohs	game-2
220	2024-01-15 12:36:40+00	warn	puzzle_4	\N	{"step": 220, "device": "scarab_panel"}	pharaohs	game-2
221	2024-01-15 12:36:50+00	error	puzzle_5	scarab pressed\tstep 221 ✓	{"step": 221, "device": "scarab_panel"}	pharaohs	game-2
222	2024-01-15 12:37:00+00	info	puzzle_6	scarab pressed\tstep 222 ✓	{"step": 222, "device": "scarab_panel"}	pharaohs	game-2
223	2024-01-15 12:37:10+00	warn	puzzle_7	scarab pressed\tstep 223 ✓	{"step": 223, "device": "scarab_panel"}	pharaohs	game-2
224	2024-01-15 12:37:20+00	error	puzzle_8	\N	{"step": 224, "device": "scarab_panel"}	pharaohs	game-2
225	2024-01-15 12:37:30+00	info	puzzle_0	scarab pressed\tstep 225 ✓	{"step": 225, "device": "scarab_panel"}	pharaohs	game-2
226	2024-01-15 12:37:40+00	warn	puzzle_1	scarab pressed\tstep 226 ✓	{"step": 226, "device": "scarab_panel"}	pharaohs	game-2
227	2024-01-15 12:37:50+00	error	puzzle_2	scarab pressed\tstep 227 ✓	{"step": 227, "device": "scarab_panel"}	pharaohs	game-2
228	2024-01-15 12:38:00+00	info	puzzle_3	\N	{"step": 228, "device": "scarab_panel"}	pharaohs	game-2
229	2024-01-15 12:38:10+00	warn	puzzle_4	scarab pressed\tstep 229 ✓	{"step": 229, "device": "scarab_panel"}	pharaohs	game-2
230	2024-01-15 12:38:20+00	error	puzzle_5	scarab pressed\tstep 230 ✓	{"step": 230, "device": "scarab_panel"}	pharaohs	game-2
231	2024-01-15 12:38:30+00	info	puzzle_6	scarab pressed\tstep 231 ✓	{"step": 231, "device": "scarab_panel"}	pharaohs	game-2
232	2024-01-15 12:38:40+00	warn	puzzle_7	\N	{"step": 232, "device": "scarab_panel"}	pharaohs	game-2
233	2024-01-15 12:38:50+00	error	puzzle_8	scarab pressed\tstep 233 ✓	{"step": 233, "device": "scarab_panel"}	pharaohs	game-2
234	2024-01-15 12:39:00+00	info	puzzle_0	scarab pressed\tstep 234 ✓	{"step": 234, "device": "scarab_panel"}	pharaohs	game-2
235	2024-01-15 12:39:10+00	warn	puzzle_1	scarab pressed\tstep 235 ✓	{"step": 235, "device": "scarab_panel"}	pharaohs	game-2
236	2024-01-15 12:39:20+00	error	puzzle_2	\N	{"step": 236, "device": "scarab_panel"}	pharaohs	game-2
237	2024-01-15 12:39:30+00	info	puzzle_3	scarab pressed\tstep 237 ✓	{"step": 237, "device": "scarab_panel"}	pharaohs	game-2
238	2024-01-15 12:39:40+00	warn	puzzle_4	scarab pressed\tstep 238 ✓	{"step": 238, "device": "scarab_panel"}	pharaohs	game-2
239	2024-01-15 12:39:50+00	error	puzzle_5	scarab pressed\tstep 239 ✓	{"step": 239, "device": "scarab_panel"}	pharaohs	game-2
240	2024-01-15 12:40:00+00	info	puzzle_6	\N	{"step": 240, "device": "scarab_panel"}	pharaohs	game-2
241	2024-01-15 12:40:10+00	warn	puzzle_7	scarab pressed\tstep 241 ✓	{"step": 241, "device": "scarab_panel"}	pharaohs	game-2
242	2024-01-15 12:40:20+00	error	puzzle_8	scarab pressed\tstep 242 ✓	{"step": 242, "device": "scarab_panel"}	pharaohs	game-2
243	2024-01-15 12:40:30+00	info	puzzle_0	scarab pressed\tstep 243 ✓	{"step": 243, "device": "scarab_panel"}	pharaohs	game-2
244	2024-01-15 12:40:40+00	warn	puzzle_1	\N	{"step": 244, "device": "scarab_panel"}	pharaohs	game-2
245	2024-01-15 12:40:50+00	error	puzzle_2	scarab pressed\tstep 245 ✓	{"step": 245, "device": "scarab_panel"}	pharaohs	game-2
246	2024-01-15 12:41:00+00	info	puzzle_3	scarab pressed\tstep 246 ✓	{"step": 246, "device": "scarab_panel"}	pharaohs	game-2
247	2024-01-15 12:41:10+00	warn	puzzle_4	scarab pressed\tstep 247 ✓	{"step": 247, "device": "scarab_panel"}	pharaohs	game-2
248	2024-01-15 12:41:20+00	error	puzzle_5	\N	{"step": 248, "device": "scarab_panel"}	pharaohs	game-2
249	2024-01-15 12:41:30+00	info	puzzle_6	scarab pressed\tstep 249 ✓	{"step": 249, "device": "scarab_panel"}	pharaohs	game-2
250	2024-01-15 12:41:40+00	warn	puzzle_7	scarab pressed\tstep 250 ✓	{"step": 250, "device": "scarab_panel"}	pharaohs	game-2
251	2024-01-15 12:41:50+00	error	puzzle_8	scarab pressed\tstep 251 ✓	{"step": 251, "device": "scarab_panel"}	pharaohs	game-2
252	2024-01-15 12:42:00+00	info	puzzle_0	\N	{"step": 252, "device": "scarab_panel"}	pharaohs	game-2
253	2024-01-15 12:42:10+00	warn	puzzle_1	scarab pressed\tstep 253 ✓	{"step": 253, "device": "scarab_panel"}	pharaohs	game-2
254	2024-01-15 12:42:20+00	error	puzzle_2	scarab pressed\tstep 254 ✓	{"step": 254, "device": "scarab_panel"}	pharaohs	game-2
255	2024-01-15 12:42:30+00	info	puzzle_3	scarab pressed\tstep 255 ✓	{"step": 255, "device": "scarab_panel"}	pharaohs	game-2
256	2024-01-15 12:42:40+00	warn	puzzle_4	\N	{"step": 256, "device": "scarab_panel"}	pharaohs	game-2
257	2024-01-15 12:42:50+00	error	puzzle_5	scarab pressed\tstep 257 ✓	{"step": 257, "device": "scarab_panel"}	pharaohs	game-2
258	2024-01-15 12:43:00+00	info	puzzle_6	scarab pressed\tstep 258 ✓	{"step": 258, "device": "scarab_panel"}	pharaohs	game-2
259	2024-01-15 12:43:10+00	warn	puzzle_7	scarab pressed\tstep 259 ✓	{"step": 259, "device": "scarab_panel"}	pharaohs	game-2
260	2024-01-15 12:43:20+00	error	puzzle_8	\N	{"step": 260, "device": "scarab_panel"}	pharaohs	game-2
261	2024-01-15 12:43:30+00	info	puzzle_0	scarab pressed\tstep 261 ✓	{"step": 261, "device": "scarab_panel"}	pharaohs	game-2
262	2024-01-15 12:43:40+00	warn	puzzle_1	scarab pressed\tstep 262 ✓	{"step": 262, "device": "scarab_panel"}	pharaohs	game-2
263	2024-01-15 12:43:50+00	error	puzzle_2	scarab pressed\tstep 263 ✓	{"step": 263, "device": "scarab_panel"}	pharaohs	game-2
264	2024-01-15 12:44:00+00	info	puzzle_3	\N	{"step": 264, "device": "scarab_panel"}	pharaohs	game-2
265	2024-01-15 12:44:10+00	warn	puzzle_4	scarab pressed\tstep 265 ✓	{"step": 265, "device": "scarab_panel"}	pharaohs	game-2
266	2024-01-15 12:44:20+00	error	puzzle_5	scarab pressed\tstep 266 ✓	{"step": 266, "device": "scarab_panel"}	pharaohs	game-2
267	2024-01-15 12:44:30+00	info	puzzle_6	scarab pressed\tstep 267 ✓	{"step": 267, "device": "scarab_panel"}	pharaohs	game-2
268	2024-01-15 12:44:40+00	warn	puzzle_7	\N	{"step": 268, "device": "scarab_panel"}	pharaohs	game-2
269	2024-01-15 12:44:50+00	error	puzzle_8	scarab pressed\tstep 269 ✓	{"step": 269, "device": "scarab_panel"}	pharaohs	game-2
270	2024-01-15 12:45:00+00	info	puzzle_0	scarab pressed\tstep 270 ✓	{"step": 270, "device": "scarab_panel"}	pharaohs	game-2
271	2024-01-15 12:45:10+00	warn	puzzle_1	scarab pressed\tstep 271 ✓	{"step": 271, "device": "scarab_panel"}	pharaohs	game-2
272	2024-01-15 12:45:20+00	error	puzzle_2	\N	{"step": 272, "device": "scarab_panel"}	pharaohs	game-2
273	2024-01-15 12:45:30+00	info	puzzle_3	scarab pressed\tstep 273 ✓	{"step": 273, "device": "scarab_panel"}	pharaohs	game-2
274	2024-01-15 12:45:40+00	warn	puzzle_4	scarab pressed\tstep 274 ✓	{"step": 274, "device": "scarab_panel"}	pharaohs	game-2
275	2024-01-15 12:45:50+00	error	puzzle_5	scarab pressed\tstep 275 ✓	{"step": 275, "device": "scarab_panel"}	pharaohs	game-2
276	2024-01-15 12:46:00+00	info	puzzle_6	\N	{"step": 276, "device": "scarab_panel"}	pharaohs	game-2
277	2024-01-15 12:46:10+00	warn	puzzle_7	scarab pressed\tstep 277 ✓	{"step": 277, "device": "scarab_panel"}	pharaohs	game-2
278	2024-01-15 12:46:20+00	error	puzzle_8	scarab pressed\tstep 278 ✓	{"step": 278, "device": "scarab_panel"}	pharaohs	game-2
279	2024-01-15 12:46:30+00	info	puzzle_0	scarab pressed\tstep 279 ✓	{"step": 279, "device": "scarab_panel"}	pharaohs	game-2
280	2024-01-15 12:46:40+00	warn	puzzle_1	\N	{"step": 280, "device": "scarab_panel"}	pharaohs	game-2
281	2024-01-15 12:46:50+00	error	puzzle_2	scarab pressed\tstep 281 ✓	{"step": 281, "device": "scarab_panel"}	pharaohs	game-2
282	2024-01-15 12:47:00+00	info	puzzle_3	scarab pressed\tstep 282 ✓	{"step": 282, "device": "scarab_panel"}	pharaohs	game-2
283	2024-01-15 12:47:10+00	warn	puzzle_4	scarab pressed\tstep 283 ✓	{"step": 283, "device": "scarab_panel"}	pharaohs	game-2
284	2024-01-15 12:47:20+00	error	puzzle_5	\N	{"step": 284, "device": "scarab_panel"}	pharaohs	game-2
285	2024-01-15 12:47:30+00	info	puzzle_6	scarab pressed\tstep 285 ✓	{"step": 285, "device": "scarab_panel"}	pharaohs	game-2
286	2024-01-15 12:47:40+00	warn	puzzle_7	scarab pressed\tstep 286 ✓	{"step": 286, "device": "scarab_panel"}	pharaohs	game-2
287	2024-01-15 12:47:50+00	error	puzzle_8	scarab pressed\tstep 287 ✓	{"step": 287, "device": "scarab_panel"}	pharaohs	game-2
288	2024-01-15 12:48:00+00	info	puzzle_0	\N	{"step": 288, "device": "scarab_panel"}	pharaohs	game-2
289	2024-01-15 12:48:10+00	warn	puzzle_1	scarab pressed\tstep 289 ✓	{"step": 289, "device": "scarab_panel"}	pharaohs	game-2
290	2024-01-15 12:48:20+00	error	puzzle_2	scarab pressed\tstep 290 ✓	{"step": 290, "device": "scarab_panel"}	pharaohs	game-2
291	2024-01-15 12:48:30+00	info	puzzle_3	scarab pressed\tstep 291 ✓	{"step": 291, "device": "scarab_panel"}	pharaohs	game-2
292	2024-01-15 12:48:40+00	warn	puzzle_4	\N	{"step": 292, "device": "scarab_panel"}	pharaohs	game-2
293	2024-01-15 12:48:50+00	error	puzzle_5	scarab pressed\tstep 293 ✓	{"step": 293, "device": "scarab_panel"}	pharaohs	game-2
294	2024-01-15 12:49:00+00	info	puzzle_6	scarab pressed\tstep 294 ✓	{"step": 294, "device": "scarab_panel"}	pharaohs	game-2
295	2024-01-15 12:49:10+00	warn	puzzle_7	scarab pressed\tstep 295 ✓	{"step": 295, "device": "scarab_panel"}	pharaohs	game-2
296	2024-01-15 12:49:20+00	error	puzzle_8	\N	{"step": 296, "device": "scarab_panel"}	pharaohs	game-2
297	2024-01-15 12:49:30+00	info	puzzle_0	scarab pressed\tstep 297 ✓	{"step": 297, "device": "scarab_panel"}	pharaohs	game-2
298	2024-01-15 12:49:40+00	warn	puzzle_1	scarab pressed\tstep 298 ✓	{"step": 298, "device": "scarab_panel"}	pharaohs	game-2
299	2024-01-15 12:49:50+00	error	puzzle_2	scarab pressed\tstep 299 ✓	{"step": 299, "device": "scarab_panel"}	pharaohs	game-2
300	2024-01-15 12:50:00+00	info	puzzle_3	\N	{"step": 300, "device": "scarab_panel"}	pharaohs	game-3
\.


--
-- Name: events_event_id_seq; Type: SEQUENCE SET; Schema: public; Owner: sentient
--

SELECT pg_catalog.setval('public.events_event_id_seq', 300, true);


--
-- Name: events events_pkey; Type: CONSTRAINT; Schema: public; Owner: sentient
--

ALTER TABLE ONLY public.events
    ADD CONSTRAINT events_pkey PRIMARY KEY (event_id);


--
-- Name: idx_events_room_id; Type: INDEX; Schema: public; Owner: sentient
--

CREATE INDEX idx_events_room_id ON public.events USING btree (room_id);


--
-- Name: idx_events_ts; Type: INDEX; Schema: public; Owner: sentient
--

CREATE INDEX idx_events_ts ON public.events USING btree (ts DESC);


--
-- PostgreSQL database dump complete
--

