DROP TABLE doc_change_log;
DROP TABLE doc_assets;
DROP TABLE doc_pages;
DROP TABLE doc_sites;
