"""The screens, grouped by area: views call a selector or a service and render, nothing more."""
