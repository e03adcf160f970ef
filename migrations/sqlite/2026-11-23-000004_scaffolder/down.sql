DROP TABLE task_events;
DROP TABLE scaffolder_tasks;
