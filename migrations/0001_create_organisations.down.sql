DROP TABLE IF EXISTS organisations;
