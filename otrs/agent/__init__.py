"""The agent portal's shell: the /agent/ URL root, the navigation, the layout, sign-in and
preferences. The screens themselves come from the apps (see :mod:`otrs.agent.registry`);
nothing here imports a domain app."""
