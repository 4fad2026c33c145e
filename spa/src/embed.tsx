import { render } from 'preact';
import './styles/app.css';
import { EmbedPage } from './components/EmbedPage';
import { mount } from './mount';

document.documentElement.classList.add('embed-page');
mount((el, id) => render(<EmbedPage id={id} />, el));
