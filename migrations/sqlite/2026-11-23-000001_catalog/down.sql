DROP TABLE change_log;
DROP TABLE relations;
DROP TABLE entities;
DROP TABLE locations;
