DROP TABLE scorecard_results;
