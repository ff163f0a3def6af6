-- PostGIS: rows of the room's own added to spatial_ref_sys (an extension configuration table,
-- whose extension-made rows are left to CREATE EXTENSION), geometry and geography columns,
-- GiST indexes.
CREATE EXTENSION postgis;
INSERT INTO spatial_ref_sys (srid, auth_name, auth_srid, srtext, proj4text) VALUES
    (990001, 'SNAP', 990001, 'LOCAL_CS["escape room floor plan",LOCAL_DATUM["room",0],UNIT["metre",1],AXIS["X",EAST],AXIS["Y",NORTH]]', ''),
    (990002, 'SNAP', 990002, 'LOCAL_CS["second floor"]', '');
CREATE TABLE props (
    id serial PRIMARY KEY,
    name text NOT NULL,
    spot geometry(Point, 990001),
    zone geometry(Polygon, 990001),
    site geography(Point, 4326)
);
CREATE INDEX props_spot ON props USING gist (spot);
CREATE INDEX props_zone ON props USING gist (zone);
CREATE INDEX props_site ON props USING gist (site);
INSERT INTO props (name, spot, zone, site) VALUES
    ('door', ST_SetSRID(ST_MakePoint(1, 2), 990001), ST_SetSRID(ST_MakeEnvelope(0, 0, 3, 3), 990001), ST_SetSRID(ST_MakePoint(13.4, 52.5), 4326)::geography),
    ('chest', ST_SetSRID(ST_MakePoint(5.5, 0.25), 990001), NULL, NULL);
CREATE VIEW props_in_zone AS SELECT a.name, b.name AS zone_of FROM props a JOIN props b ON ST_Within(a.spot, b.zone);
