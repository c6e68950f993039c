# Sphinx configuration of the lvs.ha docsite (tools/docs, `make docs`). Started from
# `antsibull-docs sphinx-init`; the rst comes from `antsibull-docs collection --use-current`.
# Offline: intersphinx reads only the small inventory tools/docs writes next to the rst
# (the few labels of docs.ansible.com that antsibull-docs' pages refer to); nothing is
# fetched. Warnings are errors (sphinx-build -W), and nitpicky makes every reference
# that does not resolve a warning.
import os

project = 'lvs.ha'
copyright = 'lvs.ha contributors'
title = 'lvs.ha collection documentation'
html_short_title = 'lvs.ha'

extensions = ['sphinx.ext.intersphinx', 'sphinx_antsibull_ext']

pygments_style = 'ansible'
highlight_language = 'YAML+Jinja'

html_theme = 'sphinx_ansible_theme'
html_show_sphinx = False
display_version = False
html_use_smartypants = True
html_use_modindex = False
html_use_index = False
html_copy_source = False

ANSIBLE_DOCS = 'https://docs.ansible.com/projects/ansible/devel/'
intersphinx_mapping = {
    'ansible_devel': (ANSIBLE_DOCS, os.environ['LVSHA_DOCS_INVENTORY']),
}
intersphinx_timeout = 1

default_role = 'any'
nitpicky = True

html_theme_options = {
    # the logo's link (the theme's default, "/", is the root of whatever server shows the site)
    'documentation_home_url': 'https://github.com/lvs-ha/lvs.ha',
    'show_rtd_ethical_ads': False,
}
