"""Parameter sweeps: experiment files, designs, the plan, the results store, query and sensitivity."""
