"""Small widgets and helpers every area uses: status line, notices, tasks, Tab order."""
